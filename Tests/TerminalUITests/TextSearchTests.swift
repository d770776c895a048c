import Testing

@testable import TerminalUI

@Suite struct TextSearchTests {
    @Test func findsFoldedNeedlesInAnyScript() {
        #expect(TextSearch.contains("päätös-2026.pdf", Array("tös-2".utf8)))
        #expect(TextSearch.contains("決定.pdf", Array("定".utf8)))
        #expect(TextSearch.contains("abc", []))
        #expect(!TextSearch.contains("abc", Array("abcd".utf8)))
        #expect(!TextSearch.contains("aab", Array("aba".utf8)))
        #expect(TextSearch.contains("xxaba", Array("aba".utf8)))
    }
}
