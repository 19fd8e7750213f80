import Foundation

/// What the package's own tools (`Book`, `Autograder`) share: finding the package and
/// running programs.

/// A tool's error, with a message meant for the person running it.
public struct ToolError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The package root: the current directory, which must hold Package.swift.
public func packageRoot(tool: String) throws -> URL {
    let url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    guard FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) else {
        throw ToolError("run \(tool) from the package root (no Package.swift in \(url.path))")
    }
    return url
}

/// A finished program: its exit status (124 or 137 when the time limit cut it off) and
/// what it wrote to standard output and to standard error.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
    public var timedOut: Bool { status == 124 || status == 137 }
    /// Both streams, output first (compiler diagnostics and test results may be on either).
    public var combined: String { standardOutput + standardError }
}

/// Runs a program, optionally under a time limit (coreutils' `timeout`, which kills it
/// when the limit passes). Both streams go to files, so a program that writes a lot can
/// never block on a full pipe.
public func runProcess(_ arguments: [String], in directory: URL, timeout seconds: Int? = nil,
                       environment: [String: String] = [:]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = (seconds.map { ["timeout", "--kill-after=10", String($0)] } ?? []) + arguments
    process.currentDirectoryURL = directory
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let id = UUID().uuidString
    let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(id).out")
    let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(id).err")
    for file in [outFile, errFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
    defer { for file in [outFile, errFile] { try? FileManager.default.removeItem(at: file) } }
    let out = try FileHandle(forWritingTo: outFile), err = try FileHandle(forWritingTo: errFile)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    let read = { (url: URL) in String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
    return ProcessResult(status: process.terminationStatus, standardOutput: read(outFile), standardError: read(errFile))
}

/// Runs a program and returns its standard output; a non-zero exit is an error carrying
/// the end of what it wrote to standard error.
@discardableResult
public func runChecked(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> String {
    let result = try runProcess(arguments, in: directory, environment: environment)
    guard result.status == 0 else {
        throw ToolError("\(arguments.joined(separator: " ")) failed (status \(result.status)):\n\(String(result.standardError.suffix(4000)))")
    }
    return result.standardOutput
}
