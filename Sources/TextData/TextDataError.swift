import Foundation

/// What can go wrong reading a corpus; every case names the file, and the line where
/// there is one, so a student can open the file and look.
public enum TextDataError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case unreadableFile(path: String, reason: String)
    case emptyFile(path: String)
    case malformedLine(path: String, line: Int, text: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot be read (\(reason))"
        case .emptyFile(let path):
            return "\(path): the file holds no data"
        case .malformedLine(let path, let line, let text, let reason):
            return "\(path):\(line): \(reason): \"\(text)\""
        }
    }
}

/// The lines of a UTF-8 text file, without their line ends.
/// Throws ``TextDataError/missingFile(path:)`` or ``TextDataError/emptyFile(path:)``.
public func readLines(_ url: URL) throws -> [Substring] {
    let path = url.path
    guard FileManager.default.fileExists(atPath: path) else { throw TextDataError.missingFile(path: path) }
    let text: String
    do {
        text = try String(contentsOf: url, encoding: .utf8)
    } catch {
        throw TextDataError.unreadableFile(path: path, reason: "not UTF-8 text or not readable")
    }
    if text.allSatisfy(\.isWhitespace) { throw TextDataError.emptyFile(path: path) }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last == "" { lines.removeLast() }
    return lines.map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
}

/// A whitespace-tokenized text file: one array of tokens per non-empty line.
public func readTokenizedLines(_ url: URL) throws -> [[String]] {
    try readLines(url).compactMap { line in
        let tokens = line.split(whereSeparator: \.isWhitespace).map(String.init)
        return tokens.isEmpty ? nil : tokens
    }
}
