import ArgumentParser
import Foundation
import PackageTools

/// `swift run Book`: weaves every chapter (prose, code, what it prints, what it draws) into
/// Markdown pages in `Book/`, and renders them with pandoc into the static site
/// `Book/html/` (one page per chapter, an index, navigation, formulas as MathML, figures
/// as SVG). `swift run Book figures DIR` regenerates every chapter's figures for slides.
struct BookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Book", abstract: "Build the book from the chapters, or regenerate their figures.",
        subcommands: [Build.self, Figures.self], defaultSubcommand: Build.self)
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Weave the chapters into Book/ and render Book/html/.")

    @Flag(help: "Run every chapter again, even those whose sources did not change.")
    var force = false

    @Option(help: "Only these chapters, comma-separated numbers (default: all).")
    var chapters: String?

    @Flag(help: "Write the Markdown pages only; skip the HTML site (pandoc).")
    var markdownOnly = false

    @Flag(help: "Weave the pages from the outputs saved in Book/output, running no chapter (while editing prose; the build state is left as it was).")
    var reuseOutput = false

    func run() throws {
        let root = try packageRoot(tool: "swift run Book")
        let all = try chapterNumbers(root)
        let selected = chapters.map { $0.split(separator: ",").compactMap { Int($0) } } ?? all
        let book = root.appendingPathComponent("Book")
        try FileManager.default.createDirectory(at: book, withIntermediateDirectories: true)
        var state = BuildState.load(book)
        let libraryHash = try hashFiles(libraryFiles(root))
        let binaries = reuseOutput ? URL(fileURLWithPath: "/") : try buildChapters(root, selected.filter { all.contains($0) })
        for number in selected where all.contains(number) {
            let name = chapterName(number)
            let files = try chapterFiles(root, number)
            let sources = try chapterPieces(
                files.map { ($0.lastPathComponent, try String(contentsOf: $0, encoding: .utf8)) }, main: "\(name).swift"
            ) { try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8) }
            // the page changes when a library file it weaves in does
            let woven = wovenFiles(sources).map { root.appendingPathComponent($0) }
            let hash = String(libraryHash ^ (try hashFiles(files + woven)), radix: 16)
            let outputFile = book.appendingPathComponent("output/\(name).txt")
            if reuseOutput || (!force && state.hashes[name] == hash), FileManager.default.fileExists(atPath: outputFile.path) {
                print("\(name): \(reuseOutput ? "its saved output reused" : "sources unchanged"), not re-run")
            } else {
                print("\(name): running on its bundled sample (seed 1)…")
                let output = try runChapter(binaries.appendingPathComponent(name), root: root)
                try FileManager.default.createDirectory(at: outputFile.deletingLastPathComponent(), withIntermediateDirectories: true)
                try normalizeOutput(output).write(to: outputFile, atomically: true, encoding: .utf8)
                state.hashes[name] = hash
            }
            let output = normalizeOutput(try String(contentsOf: outputFile, encoding: .utf8))
            let exercisesLink = "\n\n---\n\nSources: " + files.map { "`\($0.path.replacingOccurrences(of: root.path + "/", with: ""))`" }.joined(separator: ", ")
            let page = try chapterPage(pieces: sources, output: output, chapter: name) { figure in
                FileManager.default.fileExists(atPath: root.appendingPathComponent("Figures/\(figure)").path) ? "../Figures/\(figure)" : nil
            } + exercisesLink + "\n"
            try page.write(to: book.appendingPathComponent("\(name.lowercased()).md"), atomically: true, encoding: .utf8)
        }
        try indexPage(root: root, chapters: all).write(to: book.appendingPathComponent("index.md"), atomically: true, encoding: .utf8)
        if !reuseOutput { try state.save(book) }
        if !markdownOnly { try renderSite(root: root, chapters: all) }
        print("Book written to \(book.path)\(markdownOnly ? "" : " (open Book/html/index.html)")")
    }
}

struct Figures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate every chapter's figures into one folder, for slides: SVG, PNG at a chosen resolution, PDF.")

    @Argument(help: "Where the figures go.")
    var directory: String

    @Option(help: "Formats of the computation graphs, comma-separated (svg, png, pdf).")
    var formats = "svg,png,pdf"

    @Option(help: "PNG resolution in dots per inch.")
    var dpi = 150

    @Option(help: "Layout direction of the computation graphs: BT (inputs at the bottom, the default), LR, TB or RL.")
    var rankdir = "BT"

    @Option(help: "Font of every label.")
    var font = "DejaVu Sans"

    func run() throws {
        let root = try packageRoot(tool: "swift run Book")
        let all = try chapterNumbers(root)
        let binaries = try buildChapters(root, all)
        let out = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let environment = ["FIGURE_FORMATS": formats, "FIGURE_DPI": String(dpi), "FIGURE_RANKDIR": rankdir, "FIGURE_FONT": font]
        for number in all {
            print("\(chapterName(number))…")
            _ = try runChapter(binaries.appendingPathComponent(chapterName(number)), root: root, figures: out.path, environment: environment)
        }
        // The line plots are drawn as SVG by the chapters; PDF and PNG copies through
        // rsvg-convert when it is installed.
        let plots = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".svg") }
            .filter { !FileManager.default.fileExists(atPath: out.appendingPathComponent($0.replacingOccurrences(of: ".svg", with: ".pdf")).path) }
        for plot in plots.sorted() {
            for format in formats.split(separator: ",").map(String.init) where format == "pdf" || format == "png" {
                let target = out.appendingPathComponent(plot.replacingOccurrences(of: ".svg", with: ".\(format)")).path
                var arguments = ["-f", format, "-o", target, out.appendingPathComponent(plot).path]
                if format == "png" { arguments = ["-d", String(dpi), "-p", String(dpi)] + arguments }
                if (try? runChecked(["rsvg-convert"] + arguments, in: root)) == nil {
                    print("  (rsvg-convert is not installed: \(plot) stays SVG only)")
                    break
                }
            }
        }
        print("Figures written to \(out.path)")
    }
}

BookCommand.main()
