import Foundation
import NeuralKit
import XCTest

final class SafeTensorsTests: XCTestCase {
    /// The format, byte by byte, for a file written out by hand from the specification:
    /// the header's length (u64, little-endian), the JSON header padded with spaces to a
    /// multiple of 8, the tensor's bytes (F32, little-endian).
    func testBytesAreTheSpecificationsByteForByte() {
        var file = SafeTensors()
        file.set("a", Tensor<Float>([1, -2]))
        file.metadata = ["k": "v"]
        let header = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertEqual(header.utf8.count, 79)
        var expected: [UInt8] = [80, 0, 0, 0, 0, 0, 0, 0]  // 79 bytes padded to 80
        expected += Array(header.utf8) + [0x20]
        expected += [0x00, 0x00, 0x80, 0x3F]  // 1.0f
        expected += [0x00, 0x00, 0x00, 0xC0]  // -2.0f
        XCTAssertEqual([UInt8](file.encoded()), expected)
        // ... and the hand-built bytes read back.
        let read = try! SafeTensors(decoding: Data(expected))
        XCTAssertEqual(try read.floats("a").scalars, [1, -2])
        XCTAssertEqual(read.metadata, ["k": "v"])
    }

    /// Every type, odd values (−0, a subnormal, NaN with a payload, ±∞) and metadata that
    /// needs escaping come back bit for bit.
    func testRoundTripIsBitForBit() throws {
        var file = SafeTensors()
        let floats: [Float] = [-0.0, .leastNonzeroMagnitude, Float(bitPattern: 0x7FC0_1234), .infinity, -.infinity, 3.14159, 1e-30]
        let doubles: [Double] = [-0.0, .leastNonzeroMagnitude, .pi, -1e300, 0.1]
        file.set("layer.W", Tensor<Float>(shape: [1, 7], scalars: floats))
        file.set("x", Tensor<Double>(shape: [5], scalars: doubles))
        file.set("steps", integers: [0, -1, Int64.max, Int64.min])
        file.set("empty", Tensor<Float>(shape: [0, 3], scalars: []))
        file.metadata = ["quote \" and \\ backslash": "line\nbreak\ttab \u{1} é 日本", "history": #"{"epochs":[1,2]}"#]
        let encoded = file.encoded()
        let read = try SafeTensors(decoding: encoded)
        XCTAssertEqual(try read.floats("layer.W").scalars.map(\.bitPattern), floats.map(\.bitPattern))
        XCTAssertEqual(try read.floats("layer.W").shape, [1, 7])
        XCTAssertEqual(try read.doubles("x").scalars.map(\.bitPattern), doubles.map(\.bitPattern))
        XCTAssertEqual(try read.integers("steps"), [0, -1, Int64.max, Int64.min])
        XCTAssertEqual(try read.floats("empty").shape, [0, 3])
        XCTAssertEqual(read.metadata, file.metadata)
        XCTAssertEqual(read.entries, file.entries)
        // The header length is a multiple of 8, so the tensors start aligned.
        let headerLength = encoded.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0)
    }

    /// Broken files are errors that say what is wrong, never traps.
    /// A file made by hand: the 8-byte little-endian length of `header`, the header, and
    /// `dataBytes` zero bytes.
    func handMade(_ header: String, dataBytes: Int) -> [UInt8] {
        let json = Array(header.utf8)
        return (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + json + [UInt8](repeating: 0, count: dataBytes)
    }

    func testMalformedFilesAreErrors() {
        var file = SafeTensors()
        file.set("a", Tensor<Float>([1, 2, 3]))
        let good = [UInt8](file.encoded())
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("truncated data", Array(good.dropLast(4))),
            ("header length past the end", [255, 255, 0, 0, 0, 0, 0, 0] + Array(good.dropFirst(8))),
            ("not JSON", [8, 0, 0, 0, 0, 0, 0, 0] + Array("nonsense".utf8)),
            ("wrong dtype", Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "F32", with: "Q32").utf8)),
            ("wrong shape", Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "[3]", with: "[4]").utf8)),
            // numbers that would overflow or run backwards: errors, never traps
            ("negative dimensions", handMade(#"{"a":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}}"#, dataBytes: 16)),
            ("a shape too large to count", handMade(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#, dataBytes: 16)),
            ("offsets past the end", handMade(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775800,9223372036854775807]}}"#, dataBytes: 8)),
        ]
        for (name, bytes) in cases {
            XCTAssertThrowsError(try SafeTensors(decoding: Data(bytes), source: "case.safetensors"), name) { error in
                XCTAssertTrue("\(error)".contains("case.safetensors"), "\(name): \(error)")
            }
        }
        let read = try! SafeTensors(decoding: Data(good))
        XCTAssertThrowsError(try read.floats("b")) { XCTAssertEqual("\($0)", "the checkpoint holds no tensor b") }
        XCTAssertThrowsError(try read.doubles("a")) { XCTAssertEqual("\($0)", "tensor a is F32, expected F64") }
        XCTAssertThrowsError(try read.tensor("a", shape: [2], as: Float.self)) { XCTAssertEqual("\($0)", "tensor a has shape [3], expected [2]") }
    }
}

final class AtomicWriteTests: XCTestCase {
    func makeFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    func testReplacesTheFileAndLeavesNoTemporaryFile() throws {
        let folder = try makeFolder()
        let url = folder.appendingPathComponent("results.json")
        try atomicWrite(Data("old".utf8), to: url)
        try atomicWrite(Data("new contents".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new contents")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["results.json"])
    }

    /// A write that fails half-way leaves the old file as it was, and no temporary file.
    func testAFailedWriteLeavesTheOldFileIntact() throws {
        struct DiskFull: Error {}
        let folder = try makeFolder()
        let url = folder.appendingPathComponent("figure.svg")
        try atomicWrite(Data("<svg>old</svg>".utf8), to: url)
        XCTAssertThrowsError(try atomicWrite(to: url) { temporary in
            try Data("<svg>half".utf8).write(to: temporary)
            throw DiskFull()
        }) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "<svg>old</svg>")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["figure.svg"])
    }

    func testAMissingFolderIsAnErrorNamingTheFile() throws {
        let url = try makeFolder().appendingPathComponent("no/such/folder/out.json")
        XCTAssertThrowsError(try atomicWrite(Data("x".utf8), to: url)) { error in
            XCTAssertTrue("\(error)".contains("out.json"), "\(error)")
        }
    }
}
