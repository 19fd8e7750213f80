import Foundation

/// One piece of a literate chapter source: a prose block (`/*: … */`), the code between
/// two of them, a declaration woven in from the library, or code folded away.
enum Piece: Equatable {
    case prose(String)
    case code(String)
    /// A declaration of the library (doc comment and body), woven in by a prose line
    /// `<!-- code: FILE SYMBOL -->`.
    case library(file: String, symbol: String, code: String)
    /// Code the page folds under a summary: a chapter's plumbing (`// book: details …`
    /// up to `// book: end details`, and the whole of a chapter's `CommandLine.swift`).
    case folded(summary: String, code: String)
}

/// Splits a chapter source into prose and code, in order. Prose blocks open with `/*:`
/// (at any indentation) and close with the next `*/`; their lines lose the common
/// indentation. Code pieces drop `import` lines, the book's `// Reading order:` line and
/// surrounding blank lines; empty ones are left out. In code, the lines from
/// `// book: hide` to `// book: show` are left out of the page, and those from
/// `// book: details SUMMARY` to `// book: end details` (or the end of the file) are
/// folded under SUMMARY.
func pieces(of source: String) -> [Piece] {
    var out: [Piece] = []
    var code: [Substring] = []
    var prose: [Substring]?
    var hidden = false
    var folding: String?  // the summary of the code being folded
    func flushCode() {
        let kept = code.filter { !$0.hasPrefix("import ") && !$0.hasPrefix("// Reading order:") }
        let text = kept.joined(separator: "\n").trimmingCharacters(in: .newlines)
        if !text.trimmingCharacters(in: .whitespaces).isEmpty {
            out.append(folding.map { .folded(summary: $0, code: dedent(text)) } ?? .code(dedent(text)))
        }
        code = []
    }
    for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
        let directive = line.trimmingCharacters(in: .whitespaces)
        if prose == nil, directive.hasPrefix("// book: ") {
            let command = directive.dropFirst("// book: ".count)
            if command == "hide" { hidden = true }
            if command == "show" { hidden = false }
            if command.hasPrefix("details ") {
                flushCode()
                folding = command.dropFirst("details ".count).trimmingCharacters(in: .whitespaces)
            }
            if command == "end details" {
                flushCode()
                folding = nil
            }
            continue
        }
        if hidden { continue }
        if var block = prose {
            if let end = line.range(of: "*/") {
                block.append(line[..<end.lowerBound])
                out.append(.prose(dedent(block.joined(separator: "\n")).trimmingCharacters(in: .whitespacesAndNewlines)))
                prose = nil
            } else {
                block.append(line)
                prose = block
            }
        } else if let start = line.range(of: "/*:") {
            flushCode()
            let rest = line[start.upperBound...]
            if let end = rest.range(of: "*/") {
                out.append(.prose(String(rest[..<end.lowerBound]).trimmingCharacters(in: .whitespaces)))
            } else {
                prose = [rest.drop { $0 == " " }]
            }
        } else {
            code.append(line)
        }
    }
    flushCode()
    return out
}

/// Removes the indentation all non-blank lines share (the first line of a prose block,
/// which follows `/*:`, is not counted).
func dedent(_ text: String) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let indents = lines.dropFirst().filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }
    let common = indents.min() ?? 0
    return ([lines.first.map(String.init) ?? ""] + lines.dropFirst().map { String($0.dropFirst(Swift.min(common, $0.prefix { $0 == " " }.count))) })
        .joined(separator: "\n")
}

/// What a chapter prints, made the same from run to run: durations and speeds (which
/// depend on the machine and its load) are replaced by "…".
func normalizeOutput(_ text: String) -> String {
    let patterns: [(String, String)] = [
        (#"\d[\d,]*(\.\d+)? ?(ms|s|words/s|windows/s|steps/s)\b"#, "…"),  // 4.8 s, 43.4 ms, 8,841 words/s
        (#"\d[\d,]*(\.\d+)? (seconds|minutes)"#, "…"),
        (#"\d[\d,]*(\.\d+)? (words|windows|steps|tokens|sentences) per second"#, "…"),  // 32,655 words per second
        (#"(median of epochs|median): \d[\d,]*(\.\d+)?"#, "$1: …"),
    ]
    var out = text
    for (pattern, template) in patterns {
        out = out.replacingOccurrences(of: pattern, with: template, options: .regularExpression)
    }
    return out
}

/// The output of a run, cut at its section headings (`## …`) and at the lines that start
/// with one of `cuts`: each part keeps its first line (the first part may have none) and is
/// named by it (a heading without its `#`s). The title line (`# …`) is left out.
func outputSections(_ text: String, cuttingAt cuts: [String] = []) -> [(heading: String?, lines: [String])] {
    var sections: [(heading: String?, lines: [String])] = [(nil, [])]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("# ") { continue }  // the chapter's title, which its first prose block already gives
        if line.hasPrefix("## ") {
            sections.append((line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces), [line]))
        } else if cuts.contains(where: { line.hasPrefix($0) }) {
            sections.append((line, [line]))
        } else {
            sections[sections.count - 1].lines.append(line)
        }
    }
    return sections.filter { !$0.lines.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
}

/// The marker a prose line places a printed section with: `<!-- output: HEADING -->`
/// names the section whose printed heading (`## …`) starts with HEADING, and
/// `<!-- output: (opening) -->` the lines printed before the first heading. When no
/// heading starts with HEADING, the output is also cut at the printed line that starts
/// with it (a `Figures:` line, say), and the marker names the part from there on.
let outputMarkerPattern = #"^\s*<!--\s*output:\s*(.+?)\s*-->\s*$"#
let openingLines = "(opening)"

/// The output markers of a prose block, in order, and the prose without them.
func outputMarkers(in prose: String) -> (markers: [String], prose: String) {
    var markers: [String] = [], kept: [Substring] = []
    for line in prose.split(separator: "\n", omittingEmptySubsequences: false) {
        let text = String(line)
        if let match = text.range(of: outputMarkerPattern, options: .regularExpression) {
            let inner = text[match].replacingOccurrences(of: outputMarkerPattern, with: "$1", options: .regularExpression)
            markers.append(inner)
        } else {
            kept.append(line)
        }
    }
    return (markers, kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
}

/// A chapter's page: its prose and code in reading order, each printed section placed
/// where a prose block's output marker names it (after the code that follows that
/// block, the code that printed it, if there is one), and every figure the run announced
/// ("Figure: …svg") shown where it was printed. Every printed section must be named by
/// exactly one marker, and every marker must name exactly one section: anything else is
/// an error naming the chapter.
func chapterPage(pieces: [Piece], output: String, chapter: String = "the chapter",
                 figureLink: (String) -> String?) throws -> String {
    var markers = [[String]](repeating: [], count: pieces.count)
    var texts = [String?](repeating: nil, count: pieces.count)  // prose without its markers
    for (i, piece) in pieces.enumerated() {
        guard case .prose(let text) = piece else { continue }
        let found = outputMarkers(in: text)
        markers[i] = found.markers
        texts[i] = found.prose
    }
    // markers that name no heading cut the output at the line they start
    let headings = outputSections(output).compactMap(\.heading)
    let cuts = markers.joined().filter { marker in marker != openingLines && !headings.contains { $0.hasPrefix(marker) } }
    let sections = outputSections(output, cuttingAt: cuts)
    var attached = [[String]](repeating: [], count: pieces.count)
    var placed = [String?](repeating: nil, count: sections.count)  // the marker that placed each section
    for i in pieces.indices {
        for marker in markers[i] {
            let matches = sections.indices.filter { s in
                marker == openingLines ? sections[s].heading == nil : sections[s].heading?.hasPrefix(marker) == true
            }
            guard matches.count == 1, let match = matches.first else {
                throw BookError("\(chapter): the marker <!-- output: \(marker) --> names \(matches.count) printed sections "
                                + "(it must name one; printed headings: \(sections.compactMap(\.heading).map { "\"\($0)\"" }.joined(separator: ", ")))")
            }
            if let other = placed[match] {
                throw BookError("\(chapter): the printed section \"\(sections[match].heading ?? openingLines)\" is named by two markers, "
                                + "<!-- output: \(other) --> and <!-- output: \(marker) -->")
            }
            placed[match] = marker
            // after the code that follows the prose block, if there is one
            let target = i + 1 < pieces.count && isCode(pieces[i + 1]) ? i + 1 : i
            attached[target].append(contentsOf: renderOutput(sections[match].lines, figureLink: figureLink))
        }
    }
    if let missing = sections.indices.first(where: { placed[$0] == nil }) {
        let name = sections[missing].heading.map { "\"\($0)\"" } ?? "before the first heading"
        throw BookError("\(chapter): the printed section \(name) is named by no marker: add <!-- output: "
                        + "\(sections[missing].heading ?? openingLines) --> (or a prefix of the heading) to the prose that explains it")
    }
    var page: [String] = []
    for (i, piece) in pieces.enumerated() {
        switch piece {
        case .prose: if let text = texts[i], !text.isEmpty { page.append(text) }
        case .code(let text): page.append("```swift\n\(text)\n```")
        case .library(let file, let symbol, let code):
            page.append("*From the library: `\(symbol)` in `\(file)`*\n\n```swift\n\(code)\n```")
        case .folded(let summary, let code):
            // the summary is HTML: escaped, and "--" kept from becoming a dash
            let shown = summary.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "-", with: "&#45;")
            page.append("<details>\n<summary>\(shown)</summary>\n\n```swift\n\(code)\n```\n\n</details>")
        }
        page.append(contentsOf: attached[i])
    }
    return page.joined(separator: "\n\n") + "\n"
}

private func isCode(_ piece: Piece) -> Bool {
    if case .code = piece { return true }
    return false
}

/// Output lines as Markdown: text in an output block, cut at each announced figure, which
/// is shown as an image (lines "Figure: a.svg, a.png" or "Figures: …"), and at each
/// Markdown table the chapter printed (lines starting with `|`, the second of them a
/// `|---|` rule), which is shown as a table.
func renderOutput(_ lines: [String], figureLink: (String) -> String?) -> [String] {
    var blocks: [String] = []
    var text: [String] = []
    func flush() {
        let body = text.joined(separator: "\n").trimmingCharacters(in: .newlines)
        if !body.trimmingCharacters(in: .whitespaces).isEmpty { blocks.append("```text\n\(body)\n```") }
        text = []
    }
    var i = 0
    while i < lines.count {
        let line = lines[i]
        if line.hasPrefix("|"), i + 1 < lines.count, isTableRule(lines[i + 1]) {
            let rows = lines[i...].prefix { $0.hasPrefix("|") }
            flush()
            blocks.append(rows.enumerated().map { $0.offset == 1 ? $0.element : escapeTableRow($0.element) }.joined(separator: "\n"))
            i += rows.count
            continue
        }
        text.append(line)
        if let marker = line.range(of: #"Figures?: "#, options: .regularExpression) {
            let paths = line[marker.upperBound...].components(separatedBy: ", ")
            let images = paths.compactMap { path -> String? in
                let name = URL(fileURLWithPath: path.trimmingCharacters(in: .whitespaces)).lastPathComponent
                guard name.hasSuffix(".svg"), let link = figureLink(name) else { return nil }
                return "![\(name)](\(link))"
            }
            if !images.isEmpty {
                flush()
                blocks.append(contentsOf: images)
            }
        }
        i += 1
    }
    flush()
    return blocks
}

/// A Markdown table's rule under its header: `|---|---:|`, `| --- | :---: |`.
func isTableRule(_ line: String) -> Bool {
    line.range(of: #"^\|(\s*:?-{3,}:?\s*\|)+\s*$"#, options: .regularExpression) != nil
}

/// A printed table row with the characters Markdown would read as formatting (emphasis,
/// formulas, code, links, HTML) escaped, so the cells show what the chapter printed.
func escapeTableRow(_ row: String) -> String {
    var out = ""
    for character in row {
        if "\\*_$`[]<>".contains(character) { out.append("\\") }
        out.append(character)
    }
    return out
}
