import TerminalUI

extension ListSelection {
    /// Puts the focus back on the item whose id is `id` (`ids`: the items' ids, by index), when it is still
    /// shown. A list loaded again keeps the applicant's place by what was focused, not by its row: rows move
    /// (a new message arrives, a conversation goes to the top). Answers whether it was found.
    @discardableResult
    mutating func refocus(on id: String?, ids: [String]) -> Bool {
        guard let id, let item = ids.firstIndex(of: id), let position = visible.firstIndex(of: item) else { return false }
        focus(position: position)
        return true
    }

    /// The id of the focused item (`ids`: the items' ids, by index).
    func focusedID(_ ids: [String]) -> String? { focusedItem.flatMap { ids.indices.contains($0) ? ids[$0] : nil } }

    /// The items drawn into an area `height` rows high, in order.
    func itemsShown(height: Int) -> ArraySlice<Int> {
        let first = min(firstRow(height: height), visible.count)
        return visible[first..<min(first + max(height, 0), visible.count)]
    }
}

/// A list's rows in columns as wide as their widest cell among the rows shown (two spaces between), in the
/// language shown, so nothing is cut that fits: widths from the content, not from English's lengths. The last
/// column takes what is left and is the one the list cuts ("…") when a row is still too long; a column is at
/// most `most` wide, so one long value does not push every other row's last column off the screen.
struct Columns {
    let widths: [Int]

    init(_ rows: some Sequence<[String]>, most: Int = 28) {
        var widths: [Int] = []
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index >= widths.count { widths.append(0) }
                widths[index] = max(widths[index], min(DisplayWidth.of(cell), most))
            }
        }
        self.widths = widths
    }

    /// One row: each cell but the last padded to its column and two spaces (an empty column takes no room).
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            guard index < cells.count - 1 else { return cell }
            let width = widths.indices.contains(index) ? widths[index] : DisplayWidth.of(cell)
            return width == 0 ? "" : pad(cell, width + 2)
        }.joined()
    }
}
