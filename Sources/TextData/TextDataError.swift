import Foundation

/// What can go wrong reading a corpus; every case names the file, and the line where
/// there is one, so a student can open the file and look.
public enum TextDataError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    /// A directory, where the chapter expects a file.
    case isDirectory(path: String)
    /// The file is there but reading it failed; `reason` is the system's word for why
    /// ("Permission denied", "Input/output error", ...).
    case unreadableFile(path: String, reason: String)
    /// The bytes are not UTF-8: the first bad byte's line and its offset from the start
    /// of the file (counted from 0, as `xxd` and `hexdump` show offsets).
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    case emptyFile(path: String)
    case malformedLine(path: String, line: Int, text: String, reason: String)
    /// An evaluation file that reads fine but holds nothing a score could be computed on
    /// (no entities, no sentence the task keeps): better an error than "F1 0.00".
    case nothingToEvaluate(path: String, reason: String)
    /// A training file that reads fine but holds nothing the task can learn from.
    case nothingToTrainOn(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file"
        case .isDirectory(let path):
            return "\(path): is a directory, not a file"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot be read (\(reason))"
        case .invalidUTF8(let path, let line, let offset):
            return "\(path):\(line): not valid UTF-8 at byte offset \(offset) (the readers take UTF-8 text only)"
        case .emptyFile(let path):
            return "\(path): the file holds no data"
        case .malformedLine(let path, let line, let text, let reason):
            return "\(path):\(line): \(reason): \"\(text)\""
        case .nothingToEvaluate(let path, let reason):
            return "\(path): nothing to evaluate on: \(reason)"
        case .nothingToTrainOn(let path, let reason):
            return "\(path): nothing to train on: \(reason)"
        }
    }
}

/// The lines of a UTF-8 text file, without their line ends, read the same whatever wrote
/// the file:
/// - a line ends at LF (Unix), CR LF (Windows) or a lone CR (old Mac OS). Splitting a
///   Swift `String` on "\n" would miss CR LF entirely: Swift reads "\r\n" as *one*
///   Character, so a Windows file would come back as a single line. The split is done on
///   the bytes instead;
/// - a UTF-8 byte-order mark at the start (Windows editors write one) is not text;
/// - the last line counts whether or not a line end follows it.
///
/// Throws ``TextDataError`` naming the file: missing, a directory, unreadable, not UTF-8
/// (with the line and byte offset of the first bad byte), or holding only white space.
public func readLines(_ url: URL) throws -> [String] {
    let path = url.path
    let bytes = try readFileBytes(path)
    let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    let body = bytes.starts(with: byteOrderMark) ? bytes[3...] : bytes[...]
    var lines: [String] = []
    for (index, range) in lineRanges(body).enumerated() {
        let line = body[range]
        if let bad = firstInvalidUTF8Byte(line) {
            throw TextDataError.invalidUTF8(path: path, line: index + 1, byteOffset: bad)
        }
        lines.append(String(decoding: line, as: UTF8.self))
    }
    if lines.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { throw TextDataError.emptyFile(path: path) }
    return lines
}

/// A whitespace-tokenized text file: one array of tokens per non-empty line.
public func readTokenizedLines(_ url: URL) throws -> [[String]] {
    try readLines(url).compactMap { line in
        let tokens = line.split(whereSeparator: \.isWhitespace).map(String.init)
        return tokens.isEmpty ? nil : tokens
    }
}

/// The whole content of a regular file. The checks come in the order a student would
/// ask: is it there, is it a file, can it be read. Anything but a regular file (a FIFO,
/// a device) is refused before it is opened: opening a FIFO nobody writes to would wait
/// forever.
func readFileBytes(_ path: String) throws -> [UInt8] {
    func failure(_ code: Int32) -> TextDataError {
        .unreadableFile(path: path, reason: String(cString: strerror(code)))
    }
    var status = stat()
    guard stat(path, &status) == 0 else {
        let code = errno
        // ENOENT also covers a symbolic link to a missing file: for the reader it is missing
        throw code == ENOENT ? TextDataError.missingFile(path: path) : failure(code)
    }
    switch status.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw TextDataError.isDirectory(path: path)
    default: throw TextDataError.unreadableFile(path: path, reason: "not a regular file (a FIFO, socket or device)")
    }
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw failure(errno) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(status.st_size))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count == 0 { break }
        if count < 0 {
            if errno == EINTR { continue }
            throw failure(errno)
        }
        bytes += chunk[..<count]
    }
    return bytes
}

/// The byte ranges of the lines of `bytes`, line ends excluded: LF, CR LF and a lone CR
/// each end a line; a last line without a line end is still a line.
func lineRanges(_ bytes: ArraySlice<UInt8>) -> [Range<Int>] {
    let lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
    var ranges: [Range<Int>] = []
    var start = bytes.startIndex, i = start
    while i < bytes.endIndex {
        let byte = bytes[i]
        guard byte == lineFeed || byte == carriageReturn else { i += 1; continue }
        ranges.append(start..<i)
        i += 1
        if byte == carriageReturn, i < bytes.endIndex, bytes[i] == lineFeed { i += 1 }
        start = i
    }
    if start < bytes.endIndex { ranges.append(start..<bytes.endIndex) }
    return ranges
}

/// The index of the first byte of `bytes` that does not start a well-formed UTF-8
/// sequence (the Unicode Standard's Table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF), or nil when all of it is UTF-8.
func firstInvalidUTF8Byte(_ bytes: ArraySlice<UInt8>) -> Int? {
    var i = bytes.startIndex
    while i < bytes.endIndex {
        let lead = bytes[i]
        if lead < 0x80 { i += 1; continue }
        // the sequence's length, and the range its second byte must fall in
        let length: Int, second: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
        case 0xED: (length, second) = (3, 0x80...0x9F)
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
        case 0xF4: (length, second) = (4, 0x80...0x8F)
        default: return i
        }
        guard i + length <= bytes.endIndex, second.contains(bytes[i + 1]),
              bytes[(i + 2)..<(i + length)].allSatisfy({ (0x80...0xBF).contains($0) })
        else { return i }
        i += length
    }
    return nil
}
