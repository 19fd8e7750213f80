import ArgumentParser
import Foundation

/// Checks of a chapter's options, run by ArgumentParser's `validate()` before any work.
///
/// Each check throws a `ValidationError` that names the option and the value it got, so
/// `--epochs 0` is answered with "--epochs must be at least 1 (got 0)" and the usage line,
/// not with a trap (or, in a release build, "precondition failure" and a backtrace) after
/// the corpus is read.
public enum OptionCheck {
    /// An integer option that must be at least `minimum` (a size, a count of epochs).
    /// Values above 2³¹ − 1 are refused too: no count here is that large, and sums or
    /// products of such a value with another would overflow (a trap) before any check.
    public static func atLeast<T: BinaryInteger>(_ minimum: T, _ value: T, _ option: String) throws {
        guard value >= minimum else { throw ValidationError("\(option) must be at least \(minimum) (got \(value))") }
        guard value <= Int32.max else { throw ValidationError("\(option) must be at most \(Int32.max) (got \(value))") }
    }

    /// An optional integer option: checked only when given.
    public static func atLeast<T: BinaryInteger>(_ minimum: T, _ value: T?, _ option: String) throws {
        if let value { try atLeast(minimum, value, option) }
    }

    /// A whole number in a closed range (`--train-percent` in 1…100).
    public static func within<T: BinaryInteger>(_ range: ClosedRange<T>, _ value: T, _ option: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be in \(range.lowerBound)…\(range.upperBound) (got \(value))")
        }
    }

    /// A real option that must be finite and greater than zero (a learning rate, a temperature).
    public static func positive<T: BinaryFloatingPoint>(_ value: T, _ option: String) throws {
        guard value.isFinite, value > 0 else { throw ValidationError("\(option) must be a positive number (got \(value))") }
    }

    /// A real option that must be finite and at least zero (a clipping threshold, 0 meaning off).
    public static func nonNegative<T: BinaryFloatingPoint>(_ value: T, _ option: String) throws {
        guard value.isFinite, value >= 0 else { throw ValidationError("\(option) must be 0 or more (got \(value))") }
    }

    /// A real option that must be finite and at least `minimum`.
    public static func atLeast<T: BinaryFloatingPoint>(_ minimum: T, _ value: T, _ option: String) throws {
        guard value.isFinite, value >= minimum else {
            throw ValidationError("\(option) must be a number of at least \(minimum) (got \(value))")
        }
    }

    /// A real option that must be finite (an initial bias may be any number).
    public static func finite<T: BinaryFloatingPoint>(_ value: T, _ option: String) throws {
        guard value.isFinite else { throw ValidationError("\(option) must be a finite number (got \(value))") }
    }

    /// A dropout rate: a probability of dropping, in [0, 1). At 1 nothing would get through.
    public static func dropout<T: BinaryFloatingPoint>(_ value: T, _ option: String) throws {
        guard value.isFinite, value >= 0, value < 1 else {
            throw ValidationError("\(option) is a probability of dropping and must be in [0, 1) (got \(value))")
        }
    }

    /// A comma-separated list of positive whole numbers (`--lags 5,10,20`); returns them.
    @discardableResult
    public static func positiveList(_ text: String, _ option: String, count: Int? = nil, example: String) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let values = items.compactMap { Int($0) }
        guard !items.isEmpty, values.count == items.count, values.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("\(option) wants comma-separated positive whole numbers, such as \(example) (got \"\(text)\")")
        }
        if let count, values.count != count {
            throw ValidationError("\(option) wants \(count) comma-separated numbers, such as \(example) (got \(values.count))")
        }
        return values
    }

    /// One of a fixed set of words (`--train-on sentences|phrases`).
    public static func oneOf(_ value: String, _ allowed: [String], _ option: String) throws {
        guard allowed.contains(value) else {
            throw ValidationError("\(option) must be \(allowed.joined(separator: " or ")), not \"\(value)\"")
        }
    }

    /// Refuses a model whose parameters (and their gradients and optimizer moments, as
    /// `copies`) cannot fit in this machine's memory, with the bytes it would need, before
    /// anything is allocated. `scalars` is counted in Double so that `--hidden 100000`
    /// squared cannot overflow.
    public static func fitsInMemory(scalars: Double, bytesPerScalar: Int = 4, copies: Int = 4,
                                    what: String, options: String) throws {
        let bytes = scalars * Double(bytesPerScalar * copies)
        let available = Double(MachineMemory.bytes)
        guard bytes <= 0.8 * available else {
            throw ValidationError(
                "\(what) would need \(MachineMemory.format(bytes: bytes)) (\(String(format: "%.3g", scalars)) numbers × \(bytesPerScalar) bytes × \(copies): "
                + "values, gradients and the optimizer's state), more than this machine's "
                + "\(MachineMemory.format(bytes: available)) of memory; make \(options) smaller")
        }
    }
}

/// How much memory this process may use: the machine's, or the container's limit where
/// one is set (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`), whichever is smaller.
public enum MachineMemory {
    public static var bytes: UInt64 {
        var limit = ProcessInfo.processInfo.physicalMemory
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let value = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0 {
                limit = min(limit, value)
            }
        }
        return limit
    }

    /// 1.5e10 → "15.0 GB" (decimal units, as disks and `free -H` count).
    public static func format(bytes value: Double) -> String {
        let units: [(Double, String)] = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        for (size, unit) in units where value >= size { return String(format: "%.1f ", value / size) + unit }
        return String(format: "%.0f bytes", value)
    }
}

extension ChapterOptions {
    /// The shared options, checked before any work: the data directory is a directory, and
    /// the JSON file and the figures folder can be written (today, not after an hour of
    /// training).
    public func validate() throws {
        if let dataDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDirectory) else {
                throw ValidationError("--data-dir \(dataDir): no such folder")
            }
            guard isDirectory.boolValue else { throw ValidationError("--data-dir \(dataDir) is a file, not a folder") }
        }
        if let json { try WritableLocation.checkFile(json, option: "--json") }
        try WritableLocation.checkFolder(figures, option: "--figures")
    }
}

/// Whether a file or folder can be written, found out by writing: a probe file is made
/// and removed in the folder, so a read-only file system or a missing permission shows
/// up too (root passes every permission check of `access(2)`).
public enum WritableLocation {
    /// `path` is a file that can be created or replaced.
    public static func checkFile(_ path: String, option: String) throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(option) \(path) is a folder; give a file name")
        }
        let folder = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(option) \(path): the folder \(folder.path) does not exist")
        }
        try probe(folder, option: option, path: path)
    }

    /// `path` is a folder that exists and can be written, or can be made inside the
    /// nearest folder above it that exists.
    public static func checkFolder(_ path: String, option: String) throws {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            url.deleteLastPathComponent()
        }
        guard isDirectory.boolValue else {
            throw ValidationError("\(option) \(path): \(url.path) is a file, not a folder")
        }
        try probe(url, option: option, path: path)
    }

    static func probe(_ folder: URL, option: String, path: String) throws {
        let probe = folder.appendingPathComponent(".write-probe-\(ProcessInfo.processInfo.processIdentifier)")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw ValidationError("\(option) \(path): cannot write in \(folder.path)")
        }
        try? FileManager.default.removeItem(at: probe)
    }
}
