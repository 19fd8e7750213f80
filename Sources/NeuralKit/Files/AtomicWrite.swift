import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file write that did not happen, named by the step that failed.
public struct FileWriteError: Error, CustomStringConvertible {
    public let step: String
    public let path: String
    public let reason: String
    /// The C library's errno where a system call failed, else 0.
    public var errorNumber: Int32 = 0

    public init(step: String, path: String, reason: String, errorNumber: Int32 = 0) {
        (self.step, self.path, self.reason, self.errorNumber) = (step, path, reason, errorNumber)
    }

    public var description: String { "writing \(path): \(step) failed: \(reason)" }
}

/// Writes `data` to `url` so that the file appears whole or not at all (see
/// ``atomicWrite(to:_:)``).
public func atomicWrite(_ data: Data, to url: URL) throws {
    try atomicWrite(to: url) { temporary in try data.write(to: temporary) }
}

/// Writes a file so that it appears whole or not at all, even if the program is killed or
/// the machine loses power half-way: `write` fills a temporary file in the same folder,
/// which is flushed to disk (fsync) and then renamed over `url` (a rename within one file
/// system replaces the name in one step); the folder is flushed too, so that the new name
/// itself survives a crash. A reader sees the old file or the new one, never a part.
/// When `write` throws, the temporary file is removed and the old file is left as it was.
///
/// `write` receives the temporary file's URL (for writers that take a path, such as
/// Graphviz's renderer) and must create that file.
public func atomicWrite(to url: URL, _ write: (URL) throws -> Void) throws {
    let path = url.path
    let folder = url.deletingLastPathComponent()
    // A dot file, so a listing of the folder does not show it while it is written.
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString).tmp")
    do {
        try write(temporary)
        try flushToDisk(temporary.path, what: "the temporary file", for: path)
        guard rename(temporary.path, path) == 0 else {
            throw FileWriteError(step: "renaming the temporary file into place", path: path, reason: errnoText())
        }
    } catch {
        unlink(temporary.path)  // nothing to do if it was never created
        if error is FileWriteError { throw error }
        throw FileWriteError(step: "writing the temporary file", path: path, reason: "\(error)")
    }
    // The new file is in place now; some file systems cannot flush a folder (EINVAL,
    // ENOTSUP), and that must not report a write that happened as failed.
    do { try flushToDisk(folder.path, what: "the folder", for: path) } catch let error as FileWriteError {
        guard error.errorNumber != EINVAL && error.errorNumber != ENOTSUP else { return }
        throw error
    }
}

/// fsync of a file or folder, by path.
private func flushToDisk(_ target: String, what: String, for path: String) throws {
    let descriptor = open(target, O_RDONLY)
    guard descriptor >= 0 else { throw FileWriteError(step: "opening \(what) to flush it", path: path, reason: errnoText()) }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else {
        let number = errno
        throw FileWriteError(step: "flushing \(what) to disk", path: path, reason: errnoText(), errorNumber: number)
    }
}

private func errnoText() -> String { String(cString: strerror(errno)) }
