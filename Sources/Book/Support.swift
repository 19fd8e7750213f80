import ArgumentParser
import Foundation
import PackageTools

typealias BookError = ToolError

func chapterName(_ number: Int) -> String { String(format: "Chapter%02d", number) }

/// The chapters present in `Chapters/`, by number.
func chapterNumbers(_ root: URL) throws -> [Int] {
    try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Chapters").path)
        .compactMap { $0.hasPrefix("Chapter") ? Int($0.dropFirst(7)) : nil }.sorted()
}

/// A chapter's sources in reading order: the main file, then the files its
/// `// Reading order:` line names, then any others alphabetically, `Exercises.swift` last.
/// The line may name the main file itself: the main file's first prose block (the
/// chapter's title and introduction) still opens the page, and the rest of it is read
/// at that place (see `chapterPieces`), after the definitions it uses.
func chapterFiles(_ root: URL, _ number: Int) throws -> [URL] {
    let folder = root.appendingPathComponent("Chapters/\(chapterName(number))")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.sorted()
    let main = "\(chapterName(number)).swift"
    guard names.contains(main) else { throw BookError("\(folder.path): no \(main)") }
    let text = try String(contentsOf: folder.appendingPathComponent(main), encoding: .utf8)
    var order: [String] = []
    if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("// Reading order:") }) {
        for name in line.dropFirst("// Reading order:".count).split(separator: ",") {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard names.contains(trimmed) else { throw BookError("\(main): reading order names \(trimmed), which is not in \(folder.path)") }
            if !order.contains(trimmed) { order.append(trimmed) }
        }
    }
    if !order.contains(main) { order.insert(main, at: 0) }
    order += names.filter { !order.contains($0) && $0 != "Exercises.swift" }
    if names.contains("Exercises.swift") { order.append("Exercises.swift") }
    return order.map { folder.appendingPathComponent($0) }
}

/// A chapter's pieces, from its sources (file name and text) in reading order: the main
/// file's first prose block opens the page wherever the reading order puts the rest of
/// it; a chapter's `CommandLine.swift` (its options and `@main` entry point) is folded
/// under "The command line"; every `<!-- code: FILE SYMBOL -->` line of the prose is
/// replaced by that library declaration (`read` gives a library file's text).
func chapterPieces(_ sources: [(name: String, text: String)], main: String, read: (String) throws -> String) throws -> [Piece] {
    var opening: [Piece] = [], rest: [Piece] = []
    for (name, text) in sources {
        var filePieces = pieces(of: text)
        if name == "CommandLine.swift" {
            filePieces = filePieces.map {
                if case .code(let code) = $0 { return .folded(summary: "The command line (\(name): options and entry point)", code: code) }
                return $0
            }
        }
        if name == main, let first = filePieces.first, case .prose = first {
            opening = [first]
            filePieces.removeFirst()
        }
        rest += filePieces
    }
    return try weaveLibraryCode(opening + rest, chapter: main, read: read)
}

/// What every chapter depends on: the library sources, the sample data, the manifest
/// (not the package's tools).
func libraryFiles(_ root: URL) throws -> [URL] {
    var files = [root.appendingPathComponent("Package.swift")]
    let sources = root.appendingPathComponent("Sources")
    if let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) {
        for case let url as URL in walker {
            let path = url.path
            // the package's tools and benchmarks are not what the chapters run on
            if ["Book", "Benchmarks", "Autograder", "PackageTools"].contains(where: { path.contains("/Sources/\($0)/") }) { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(url) }
        }
    }
    return files.sorted { $0.path < $1.path }
}

/// FNV-1a over the files' paths and bytes: enough to tell that something changed.
func hashFiles(_ files: [URL]) throws -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for file in files {
        for byte in Array(file.lastPathComponent.utf8) + [0] + Array(try Data(contentsOf: file)) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
    }
    return hash
}

/// Which sources each chapter page was last built from.
struct BuildState: Codable {
    var hashes: [String: String] = [:]

    static func load(_ book: URL) -> BuildState {
        (try? JSONDecoder().decode(BuildState.self, from: Data(contentsOf: book.appendingPathComponent("build-state.json")))) ?? BuildState()
    }

    func save(_ book: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: book.appendingPathComponent("build-state.json"))
    }
}

/// Builds the chapters (debug, as `swift run` does) and returns the folder of binaries.
/// `BOOK_SCRATCH_PATH` in the environment builds them in another build folder (CI builds
/// the chapters a second way there, with the AVX-512 kernels compiled out).
func buildChapters(_ root: URL, _ numbers: [Int]) throws -> URL {
    let scratch = ProcessInfo.processInfo.environment["BOOK_SCRATCH_PATH"].map { ["--scratch-path", $0] } ?? []
    for number in numbers {
        try runChecked(["swift", "build"] + scratch + ["--product", chapterName(number)], in: root)
    }
    let path = try runChecked(["swift", "build"] + scratch + ["--show-bin-path"], in: root).trimmingCharacters(in: .whitespacesAndNewlines)
    return URL(fileURLWithPath: path, isDirectory: true)
}

/// Runs a chapter on its bundled sample with seed 1; its figures go to `figures`.
func runChapter(_ binary: URL, root: URL, figures: String = "Figures", environment: [String: String] = [:]) throws -> String {
    try runChecked([binary.path, "--seed", "1", "--figures", figures], in: root, environment: environment)
}

/// The index page: what the book is, and the README's chapter and results tables (the
/// README is their one copy), with every chapter linked to its page.
func indexPage(root: URL, chapters: [Int]) throws -> String {
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    func table(after marker: (String) -> Bool) -> [String] {
        guard let start = lines.firstIndex(where: marker) else { return [] }
        let from = lines[start...].firstIndex { $0.hasPrefix("|") } ?? start
        return Array(lines[from...].prefix { $0.hasPrefix("|") })
    }
    let linked = { (rows: [String]) in
        rows.map { row -> String in
            guard let number = Int(row.dropFirst(2).prefix { $0.isNumber }), chapters.contains(number) else { return row }
            return "| [\(number)](\(chapterName(number).lowercased()).md) " + row.dropFirst(2).drop { $0.isNumber }
        }
    }
    return """
    # Neural NLP, executable: the book

    Every chapter of the package, woven from its source: the prose, the code that follows
    it, what that code printed when it ran on the bundled sample (seed 1; durations shown
    as …), and the figures it drew. Real-data numbers come from `--data-dir` runs and are
    in the results table below. Rebuild with `swift run Book`.

    ## Chapters

    \(linked(table { $0.hasPrefix("| Chapter | Topic") }).joined(separator: "\n"))

    ## Results on real data

    \(linked(table { $0.hasPrefix("## Results on real data") }).joined(separator: "\n"))

    """
}
