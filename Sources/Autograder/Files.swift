import Foundation

/// The package root: the current directory, which must hold Package.swift.
func packageRoot() throws -> URL {
    let url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    guard FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) else {
        throw AutograderError("run the autograder from the package root (no Package.swift in \(url.path))")
    }
    return url
}

/// The package's files, relative to its root: what git tracks when it is a git checkout,
/// otherwise every file outside `.build`, `.git` and `.swiftpm`.
func packageFiles(_ root: URL) throws -> [String] {
    if FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path),
       let listed = try? runProcess(["git", "ls-files", "-z"], in: root, timeout: 60), listed.status == 0 {
        return listed.output.split(separator: "\0").map(String.init).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path)
        }.sorted()
    }
    var files: [String] = []
    let skip: Set<String> = [".build", ".git", ".swiftpm"]
    guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey]) else { return [] }
    for case let url as URL in walker {
        if skip.contains(url.lastPathComponent) { walker.skipDescendants(); continue }
        if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true { continue }
        files.append(String(url.path.dropFirst(root.path.count + 1)))
    }
    return files.sorted()
}

/// Writes `data` to `url` unless the file already holds exactly it (so a later build
/// sees an unchanged file as unchanged and does not recompile it).
func writeIfChanged(_ data: Data, to url: URL) throws {
    if let existing = try? Data(contentsOf: url), existing == data { return }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
}

/// The result of a program run: its exit status (124 when `timeout` cut it off), and its
/// standard output and error together.
struct ProcessResult {
    var status: Int32
    var output: String
    var timedOut: Bool { status == 124 || status == 137 }
}

/// Runs a program with a time limit (through coreutils' `timeout`, which kills it and its
/// children's group when the limit passes).
func runProcess(_ arguments: [String], in directory: URL, timeout seconds: Int, environment: [String: String] = [:]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["timeout", "--kill-after=10", String(seconds)] + arguments
    process.currentDirectoryURL = directory
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("autograder-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try handle.close()
    let output = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
    return ProcessResult(status: process.terminationStatus, output: output)
}

/// Where a submission's package is: the folder itself, or the one folder inside it that
/// holds Package.swift (a zip of the package folder unpacks that way).
func submissionRoot(_ url: URL) throws -> URL {
    let fm = FileManager.default
    if fm.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        || fm.fileExists(atPath: url.appendingPathComponent("Sources").path) { return url }
    let children = (try? fm.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []
    if let inner = children.first(where: { fm.fileExists(atPath: $0.appendingPathComponent("Package.swift").path) }) { return inner }
    guard fm.fileExists(atPath: url.path) else { throw AutograderError("\(url.path): no such submission folder") }
    return url
}
