import Foundation
import PackageTools

/// The package's files, relative to its root: what git tracks when it is a git checkout,
/// otherwise every file outside `.build`, `.git` and `.swiftpm`.
func packageFiles(_ root: URL) throws -> [String] {
    if FileManager.default.fileExists(atPath: root.appendingPathComponent(".git").path),
       let listed = try? runProcess(["git", "ls-files", "-z"], in: root, timeout: 60), listed.status == 0 {
        return listed.standardOutput.split(separator: "\0").map(String.init).filter {
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
