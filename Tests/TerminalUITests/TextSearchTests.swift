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

@Suite struct TextSearchIndexTests {
    let names = ["päätös-2026.pdf", "abc", "aab", "xxaba", "", "決定.pdf", "ab", "cab"]

    /// The one-pass index answers exactly what a search of each string alone answers.
    @Test(arguments: ["", "a", "ab", "aba", "abca", "bc", "tös-2", "定", "pdf", "b", "cabx", "zz"])
    func index_agreesWithSearchingEachString(needle: String) {
        let index = TextSearch.Index(names)
        #expect(index.count == names.count)
        #expect(index.matches(Array(needle.utf8)) == names.map { TextSearch.contains($0, Array(needle.utf8)) })
    }

    /// A match never spans the end of one string and the start of the next.
    @Test func index_neverMatchesAcrossStrings() {
        let index = TextSearch.Index(["ab", "cd", "abcd"])
        #expect(index.matches(Array("bc".utf8)) == [false, false, true])
        #expect(index.matches(Array("b\u{0}c".utf8)) == [false, false, false])
        #expect(TextSearch.Index([]).matches(Array("a".utf8)) == [])
    }
}
