import Foundation

/// A fresh temporary folder for one test's files, removed when the test ends.
struct ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("textdata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    func appendingPathComponent(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes the bytes to `name` (a path inside the folder; missing folders are made).
    @discardableResult
    func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    @discardableResult
    func write(_ text: String, _ name: String) throws -> URL { try write(Array(text.utf8), name) }
}
