import Glibc

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

extension TextSearch {
    /// Many folded strings in one buffer, searched in one pass (`memchr` for the first byte, then `memcmp`)
    /// instead of a search per row: a keystroke in a folder of 100,000 names costs well under a frame.
    public struct Index: Sendable, Hashable {
        /// Each string's UTF-8 followed by a NUL, which no needle holds, so no match spans two strings.
        private let bytes: [UInt8]
        /// The offset of each string's NUL.
        private let ends: [Int]

        public init(_ strings: [String]) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(strings.reduce(0) { $0 + $1.utf8.count + 1 })
            var ends: [Int] = []
            ends.reserveCapacity(strings.count)
            for string in strings {
                bytes.append(contentsOf: string.utf8)
                ends.append(bytes.count)
                bytes.append(0)
            }
            self.bytes = bytes
            self.ends = ends
        }

        public var count: Int { ends.count }

        /// For each string, whether it contains `needle` (already folded, as UTF-8 bytes).
        public func matches(_ needle: [UInt8]) -> [Bool] {
            guard !needle.isEmpty else { return [Bool](repeating: true, count: ends.count) }
            var found = [Bool](repeating: false, count: ends.count)
            guard !needle.contains(0) else { return found }
            bytes.withUnsafeBytes { haystack in
                needle.withUnsafeBytes { needle in
                    guard let base = haystack.baseAddress else { return }
                    var position = 0
                    var row = 0
                    let first = Int32(needle[0])
                    let last = haystack.count - needle.count  // the last offset where the needle fits
                    while position <= last, let candidate = memchr(base + position, first, last - position + 1) {
                        let offset = base.distance(to: UnsafeRawPointer(candidate))
                        guard memcmp(candidate, needle.baseAddress!, needle.count) == 0 else {
                            position = offset + 1
                            continue
                        }
                        while ends[row] < offset { row += 1 }
                        found[row] = true
                        // The rest of this string cannot say more: go on with the next one.
                        position = ends[row] + 1
                        row += 1
                    }
                }
            }
            return found
        }
    }
}
