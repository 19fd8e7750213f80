import Foundation
import XCTest
@testable import TextData

/// Thousands of malformed files for each reader, made by mutating real lines of the
/// bundled samples (seeded, so a failure reproduces). Every file must either read, giving
/// sane sentences, or throw ``TextDataError``: any other error fails the test, and a trap
/// would kill the test process, so reaching the end is the proof that none traps.
final class ReaderFuzzTests: XCTestCase {
    static let inputsPerReader = 3000

    var scratch: ScratchFolder!

    override func setUpWithError() throws { scratch = try ScratchFolder() }
    override func tearDown() { scratch?.remove() }

    /// The lines of a bundled sample, as bytes.
    func sampleLines(_ name: String) throws -> [[UInt8]] {
        try Data(contentsOf: SampleData.url(name)).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map(Array.init)
    }

    /// A few consecutive sample lines, joined with LF, then mutated up to five times.
    func mutatedInput(_ lines: [[UInt8]], tags: [String], using random: inout SplitMix) -> [UInt8] {
        let count = 1 + random.below(30), start = random.below(lines.count)
        var chosen = Array(lines[start..<min(start + count, lines.count)])
        if !tags.isEmpty, random.below(4) == 0 {
            // a random tag in the last column of a line, or instead of it
            let i = random.below(chosen.count), tag = Array(tags[random.below(tags.count)].utf8)
            if random.below(2) == 0, let space = chosen[i].lastIndex(of: UInt8(ascii: " ")) {
                chosen[i] = Array(chosen[i][...space]) + tag
            } else {
                chosen[i] += [UInt8(ascii: " ")] + tag
            }
        }
        var bytes = Array(chosen.joined(separator: [UInt8(ascii: "\n")])) + (random.below(3) == 0 ? [] : [UInt8(ascii: "\n")])
        let insertions: [[UInt8]] = [
            [0x0D], [0x09], [0x28], [0x29], [0x00], [0x0A], [0x20], [0x0D, 0x0A], [0x0B], [0x0C],
            [0xEF, 0xBB, 0xBF],  // a byte-order mark in the middle
            [0xFF], [0xC0, 0xAF], [0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80],  // not UTF-8
            [0xC3, 0xA9], [0xE2, 0x80, 0xA8], [0xC2, 0xA0], [0xCC, 0x81],  // é, LINE SEPARATOR, NBSP, a combining accent
            Array("-DOCSTART-".utf8), Array("(2 ".utf8), Array("(9".utf8),
        ]
        for _ in 0..<random.below(6) {
            let position = bytes.isEmpty ? 0 : random.below(bytes.count + 1)
            switch random.below(7) {
            case 0 where !bytes.isEmpty:  // flip one bit of one byte
                bytes[min(position, bytes.count - 1)] ^= UInt8(1 << random.below(8))
            case 1 where !bytes.isEmpty:  // delete a few bytes
                bytes.removeSubrange(position..<min(position + 1 + random.below(8), bytes.count))
            case 2, 3:
                bytes.insert(contentsOf: insertions[random.below(insertions.count)], at: position)
            case 4:  // cut the file short
                bytes.removeSubrange(position...)
            case 5 where !bytes.isEmpty:  // repeat a stretch
                let end = min(position + 1 + random.below(40), bytes.count)
                bytes.insert(contentsOf: bytes[min(position, end - 1)..<end], at: end)
            default:  // a whole line of one repeated byte
                let byte = insertions[random.below(insertions.count)]
                bytes.insert(contentsOf: Array(repeating: byte, count: 1 + random.below(50)).joined() + [0x0A], at: position)
            }
        }
        if random.below(20) == 0 { bytes = [0xEF, 0xBB, 0xBF] + bytes }
        if random.below(10) == 0 { bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8) }
        return bytes
    }

    /// Feeds `inputsPerReader` mutated files to `read` (with each input's number), which
    /// checks what it parsed; returns how many parsed and how many threw ``TextDataError``.
    func fuzz(_ name: String, sample: String, seed: UInt64, tags: [String] = [],
              read: (URL, Int) throws -> Void) throws -> (parsed: Int, errors: Int) {
        let lines = try sampleLines(sample)
        var random = SplitMix(seed: seed)
        var parsed = 0, errors = 0
        let url = scratch.appendingPathComponent("input.txt")
        // the edge cases first: nothing, a mark alone, line ends alone
        let fixed: [[UInt8]] = [[], [0xEF, 0xBB, 0xBF], [0x0A], [0x0D, 0x0A, 0x0D], [0x00], [0xFF]]
        for index in 0..<Self.inputsPerReader {
            let bytes = index < fixed.count ? fixed[index] : mutatedInput(lines, tags: tags, using: &random)
            try Data(bytes).write(to: url)
            do {
                try read(url, index)
                parsed += 1
            } catch is TextDataError {
                errors += 1
            } catch {
                XCTFail("\(name) input \(index): not a TextDataError: \(error)\n\(bytes)")
            }
        }
        print("\(name): \(Self.inputsPerReader) inputs, \(parsed) parsed, \(errors) errors")
        // both must happen, or the mutations are too mild or too harsh to test anything
        XCTAssertGreaterThan(parsed, Self.inputsPerReader / 20, name)
        XCTAssertGreaterThan(errors, Self.inputsPerReader / 20, name)
        return (parsed, errors)
    }

    func testCoNLLReaderNeverTraps() throws {
        let tags = ["O", "B-", "I-", "B-X", "I-product", "B-WORK_OF_ART", "LOC", "-", "B--", "I-PER", "o", "", "-DOCSTART-"]
        let known: Set<String> = ["PER", "LOC", "ORG", "MISC"]
        _ = try fuzz("CoNLL", sample: "ner-sample.conll", seed: 1, tags: tags) { url, index in
            // every other file read as a dev file, against CoNLL-2003's training types
            let sentences = try CoNLLReader.read(url, knownTypes: index % 2 == 0 ? known : nil)
            XCTAssertFalse(sentences.isEmpty)
            for sentence in sentences {
                XCTAssertFalse(sentence.isEmpty, "an empty sentence")
                for token in sentence {
                    XCTAssertTrue(CoNLLReader.isValidTag(token.tag), token.tag)
                    XCTAssertFalse(token.word.isEmpty || token.word.contains(where: CoNLLReader.isColumnSeparator), token.word)
                    XCTAssertNotEqual(token.word, "-DOCSTART-")
                    XCTAssertFalse(token.word.contains("\r") || token.word.contains("\n"), token.word)
                    if index % 2 == 0, token.tag != "O" { XCTAssertTrue(known.contains(CoNLLReader.entityType(token.tag))) }
                }
            }
        }
    }

    func testPlainTextReadersNeverTrap() throws {
        _ = try fuzz("PTB/plain text", sample: "lm-sample.train.txt", seed: 2) { url, _ in
            let lines = try readTokenizedLines(url)
            let corpus = try IndexedCorpus(url)
            XCTAssertEqual(corpus.sentences.count, lines.count)
            XCTAssertFalse(lines.isEmpty)
            for line in lines {
                XCTAssertFalse(line.isEmpty, "an empty sentence")
                for token in line { XCTAssertFalse(token.isEmpty || token.contains(where: \.isWhitespace), token) }
            }
            XCTAssertEqual(corpus.predictedTokenCount, lines.reduce(0) { $0 + $1.count + 1 })
        }
    }

    func testSentimentTreeReaderNeverTraps() throws {
        _ = try fuzz("SST trees", sample: "sentiment-sample.train.txt", seed: 3) { url, _ in
            let bank = try SentimentTreebank.read(url, phrases: true)
            XCTAssertFalse(bank.sentences.isEmpty)
            for node in bank.sentences + bank.phrases {
                XCTAssertFalse(node.words.isEmpty, "a node without words")
                XCTAssertTrue((0...4).contains(node.label), "label \(node.label)")
                for word in node.words { XCTAssertFalse(word.isEmpty) }
            }
        }
    }
}
