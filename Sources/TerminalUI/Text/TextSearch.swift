/// Filter-as-you-type matching over many rows: a byte search in the strings' own UTF-8 storage, with no
/// copies and no Unicode-aware comparison per row (the rows are folded to lowercase once, when loaded).
public enum TextSearch {
    /// Whether `haystack` contains `needle` (already folded, as UTF-8 bytes).
    public static func contains(_ haystack: String, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        if let found = haystack.utf8.withContiguousStorageIfAvailable({ search($0, needle) }) { return found }
        return search(Array(haystack.utf8)[...], needle)
    }

    private static func search<Bytes: RandomAccessCollection>(_ bytes: Bytes, _ needle: [UInt8]) -> Bool
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let count = needle.count
        guard bytes.count >= count else { return false }
        let first = needle[0]
        var index = bytes.startIndex
        let last = bytes.endIndex - count
        while index <= last {
            if bytes[index] == first {
                var offset = 1
                while offset < count && bytes[index + offset] == needle[offset] { offset += 1 }
                if offset == count { return true }
            }
            index += 1
        }
        return false
    }
}
