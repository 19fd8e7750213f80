import Foundation

/// One piece of a literate chapter source: a prose block (`/*: … */`) or the code
/// between two of them.
enum Piece: Equatable {
    case prose(String)
    case code(String)
}

/// Splits a chapter source into prose and code, in order. Prose blocks open with `/*:`
/// (at any indentation) and close with the next `*/`; their lines lose the common
/// indentation. Code pieces drop `import` lines, the book's `// Reading order:` line and
/// surrounding blank lines; empty ones are left out.
func pieces(of source: String) -> [Piece] {
    var out: [Piece] = []
    var code: [Substring] = []
    var prose: [Substring]?
    func flushCode() {
        let kept = code.filter { !$0.hasPrefix("import ") && !$0.hasPrefix("// Reading order:") }
        let text = kept.joined(separator: "\n").trimmingCharacters(in: .newlines)
        if !text.trimmingCharacters(in: .whitespaces).isEmpty { out.append(.code(dedent(text))) }
        code = []
    }
    for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
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

/// The output of a run, cut at its section headings (`## …`): each part keeps its heading
/// line (the first part may have none). The title line (`# …`) is left out.
func outputSections(_ text: String) -> [(heading: String?, lines: [String])] {
    var sections: [(heading: String?, lines: [String])] = [(nil, [])]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("# ") { continue }  // the chapter's title, which its first prose block already gives
        if line.hasPrefix("## ") {
            sections.append((line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces), [line]))
        } else {
            sections[sections.count - 1].lines.append(line)
        }
    }
    return sections.filter { !$0.lines.allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty } }
}

/// The words of a heading that say something: letters and digits, four or more of them,
/// lower-cased.
func keywords(_ heading: String) -> Set<String> {
    Set(heading.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { $0.count >= 4 })
}

/// Words too common in the chapters' headings to tie a printed section to a prose block.
let commonHeadingWords: Set<String> = ["chapter", "with", "from", "that", "this", "what", "model", "models", "their", "each"]

/// How many words that say something a printed heading and a prose heading share.
func headingOverlap(_ printed: String, _ prose: String) -> Int {
    keywords(printed).intersection(keywords(prose)).subtracting(commonHeadingWords).count
}


/// The first heading of a prose block, without its `#`s.
func proseHeading(_ prose: String) -> String? {
    prose.split(separator: "\n").first { $0.hasPrefix("#") }.map { $0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces) }
}

/// A chapter's page: its prose and code in reading order, each printed section placed
/// after the prose block whose heading it matches (a section without a match follows
/// the one printed before it), and every figure the run announced ("Figure: …svg") shown
/// where it was printed.
func chapterPage(pieces: [Piece], output: String, figureLink: (String) -> String?) -> String {
    var attached = [[String]](repeating: [], count: pieces.count)
    let proseIndices = pieces.indices.filter { if case .prose = pieces[$0] { return true } else { return false } }
    var current = proseIndices.first ?? 0  // the piece after which output goes: at first, the title block
    for section in outputSections(output) {
        // the blocks sharing the most words with the printed heading; among them the
        // nearest after the current place, else the first
        let shared = section.heading.map { heading in
            proseIndices.map { ($0, headingOverlap(heading, proseHeading(proseText(pieces[$0])) ?? "")) }.filter { $0.1 > 0 }
        } ?? []
        let best = shared.map(\.1).max() ?? 0
        let matches = shared.filter { $0.1 == best }.map(\.0)
        if let match = matches.first(where: { $0 > current }) ?? matches.first {
            // after the code that follows the matching prose block, if there is one
            current = match + 1 < pieces.count && isCode(pieces[match + 1]) ? match + 1 : match
        }
        attached[current].append(contentsOf: renderOutput(section.lines, figureLink: figureLink))
    }
    var page: [String] = []
    for (i, piece) in pieces.enumerated() {
        switch piece {
        case .prose(let text): page.append(text)
        case .code(let text): page.append("```swift\n\(text)\n```")
        }
        page.append(contentsOf: attached[i])
    }
    return page.joined(separator: "\n\n") + "\n"
}

private func proseText(_ piece: Piece) -> String {
    if case .prose(let text) = piece { return text }
    return ""
}

private func isCode(_ piece: Piece) -> Bool {
    if case .code = piece { return true }
    return false
}

/// Output lines as Markdown: text in an output block, cut at each announced figure, which
/// is shown as an image (lines "Figure: a.svg, a.png" or "Figures: …").
func renderOutput(_ lines: [String], figureLink: (String) -> String?) -> [String] {
    var blocks: [String] = []
    var text: [String] = []
    func flush() {
        let body = text.joined(separator: "\n").trimmingCharacters(in: .newlines)
        if !body.trimmingCharacters(in: .whitespaces).isEmpty { blocks.append("```text\n\(body)\n```") }
        text = []
    }
    for line in lines {
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
    }
    flush()
    return blocks
}
