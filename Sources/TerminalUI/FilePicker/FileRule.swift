/// What a file must be for the picker to take it, decided by the program that uses the picker: the toolkit
/// knows no kinds of files. A file over `maxBytes` or empty is refused before a byte is read; otherwise its
/// first `signatureLength` bytes go to `kind`, which names the kind of file they begin (a word the picker's
/// tables know as `picker.type.<kind>`) or refuses it (nil).
public struct FileRule: Sendable {
    public var maxBytes: Int64
    /// The most files one pick takes.
    public var maxPicked: Int
    public var signatureLength: Int
    public var kind: @Sendable (ArraySlice<UInt8>) -> String?

    public init(maxBytes: Int64, maxPicked: Int, signatureLength: Int, kind: @escaping @Sendable (ArraySlice<UInt8>) -> String?) {
        self.maxBytes = maxBytes
        self.maxPicked = maxPicked
        self.signatureLength = signatureLength
        self.kind = kind
    }
}
