import CGraphviz
import Foundation
import NeuralKit

/// The house style of the computation graphs, and the formats they are written in. The
/// defaults are what the chapters commit to `Figures/` (SVG and PNG, inputs at the
/// bottom); an instructor regenerating figures for slides sets them from the environment
/// (`swift run Book figures DIR` does): `FIGURE_FORMATS` (e.g. `svg,png,pdf`),
/// `FIGURE_DPI` (PNG resolution), `FIGURE_RANKDIR` (`BT`, `LR`, `TB`, `RL`), `FIGURE_FONT`.
public struct FigureStyle: Sendable {
    public var formats = ["svg", "png"]
    public var dpi: Int?
    public var rankdir = "BT"
    public var fontName = "DejaVu Sans"

    public init() {}

    public static let current: FigureStyle = {
        var style = FigureStyle()
        let environment = ProcessInfo.processInfo.environment
        if let formats = environment["FIGURE_FORMATS"]?.split(separator: ",").map({ String($0).lowercased() }),
           !formats.isEmpty, formats.allSatisfy(["svg", "png", "pdf"].contains) {
            style.formats = formats
        }
        if let dpi = environment["FIGURE_DPI"].flatMap(Int.init), dpi > 0 { style.dpi = dpi }
        if let rankdir = environment["FIGURE_RANKDIR"], ["BT", "LR", "TB", "RL"].contains(rankdir) { style.rankdir = rankdir }
        if let font = environment["FIGURE_FONT"], !font.isEmpty { style.fontName = font }
        return style
    }()
}

/// Lays out and renders a ``ComputationGraph`` through Graphviz's C library
/// (cgraph to build the graph, gvc to lay it out with `dot` and render it).
public enum GraphvizRenderer {
    public enum RenderError: Error, CustomStringConvertible {
        case graphviz(step: String)
        public var description: String {
            switch self { case .graphviz(let step): return "Graphviz failed while \(step)" }
        }
    }

    static var fontName: String { FigureStyle.current.fontName }

    /// The DOT text of the graph as Graphviz's `agwrite` prints it (before layout).
    public static func dot(_ graph: ComputationGraph) throws -> String {
        try withGraph(graph) { _, g in
            var buffer: UnsafeMutablePointer<CChar>?
            var size = 0
            guard let stream = open_memstream(&buffer, &size) else {
                throw RenderError.graphviz(step: "opening a memory stream")
            }
            let status = agwrite(g, UnsafeMutableRawPointer(stream))
            fclose(stream)
            defer { free(buffer) }
            guard status == 0, let buffer else { throw RenderError.graphviz(step: "writing DOT text") }
            return String(cString: buffer)
        }
    }

    /// Writes `<directory>/<name>.svg` and `<directory>/<name>.png` (or the formats of
    /// ``FigureStyle/current``); returns their URLs.
    @discardableResult
    public static func render(_ graph: ComputationGraph, to directory: URL, name: String) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // dot may lay the columns out mirrored (a mirror image has as few crossings): if
        // it did, the nodes are handed to it in the other order, which mirrors it back.
        let orders = graph.columns.count > 1 ? ColumnOrder.allCases : [.leftToRight]
        for handedOver in orders {
            let urls = try withGraph(graph, columnOrder: handedOver) { gvc, g -> [URL]? in
                guard gvLayout(gvc, g, "dot") == 0 else { throw RenderError.graphviz(step: "laying out \(name)") }
                defer { gvFreeLayout(gvc, g) }
                if handedOver != orders.last && !columnsRunLeftToRight(gvc, g, count: graph.columns.count) { return nil }
                var urls: [URL] = []
                for format in FigureStyle.current.formats {
                    let url = directory.appendingPathComponent("\(name).\(format)")
                    // Graphviz writes the file itself: into a temporary file, renamed into place
                    // once complete, so the figure appears whole or not at all.
                    try atomicWrite(to: url) { temporary in
                        guard gvRenderFilename(gvc, g, format, temporary.path) == 0 else {
                            throw RenderError.graphviz(step: "rendering \(url.path)")
                        }
                    }
                    urls.append(url)
                }
                return urls
            }
            if let urls { return urls }
        }
        throw RenderError.graphviz(step: "laying out \(name)")
    }

    /// In which order the nodes are handed to dot: the columns' nodes column by column,
    /// left to right or right to left, before or after the nodes outside the columns.
    enum ColumnOrder: CaseIterable { case leftToRight, rightToLeft, outsideThenLeftToRight, outsideThenRightToLeft }

    /// After layout: whether column 1's box lies left of column 2's, and so on (the boxes'
    /// `bb` attributes, which dot sets when it writes its own format).
    static func columnsRunLeftToRight(_ gvc: OpaquePointer, _ g: UnsafeMutablePointer<Agraph_t>, count: Int) -> Bool {
        guard count > 1 else { return true }
        var buffer: UnsafeMutablePointer<CChar>?
        var length: UInt32 = 0
        guard gvRenderData(gvc, g, "dot", &buffer, &length) == 0 else { return true }
        gvFreeRenderData(buffer)
        let lefts = (1...count).compactMap { column -> Double? in
            guard let cluster = "cluster_step\(column)".withCString({ agsubg(g, UnsafeMutablePointer(mutating: $0), 0) }),
                  let bb = "bb".withCString({ agget(cluster, UnsafeMutablePointer(mutating: $0)) })
            else { return nil }
            return String(cString: bb).split(separator: ",").first.flatMap { Double($0) }
        }
        return lefts.count == count && lefts == lefts.sorted()
    }

    /// Builds the cgraph graph for `graph`, hands it to `body`, then frees everything.
    private static func withGraph<T>(
        _ graph: ComputationGraph, columnOrder: ColumnOrder = .leftToRight, _ body: (OpaquePointer, UnsafeMutablePointer<Agraph_t>) throws -> T
    ) throws -> T {
        guard let gvc = gvContext() else { throw RenderError.graphviz(step: "creating a context") }
        defer { gvFreeContext(gvc) }
        guard let g = agopen(mutating: "G", cgraphviz_directed().pointee) else {
            throw RenderError.graphviz(step: "creating a graph")
        }
        defer { agclose(g) }
        set(g, "rankdir", FigureStyle.current.rankdir)
        if let dpi = FigureStyle.current.dpi { set(g, "dpi", String(dpi)) }
        set(g, "label", graph.title)
        set(g, "labelloc", "t")
        set(g, "fontname", fontName)
        set(g, "nodesep", "0.3")
        set(g, "ranksep", "0.35")
        var nodeDefaults = [("fontname", fontName), ("fontsize", "11"), ("shape", "box"), ("style", "filled,rounded")]
        if !graph.columns.isEmpty { nodeDefaults += [("height", "0.3"), ("margin", "0.08,0.03")] }
        for (name, value) in nodeDefaults {
            name.withCString { n in
                value.withCString { v in
                    _ = agattr(g, Int32(AGNODE), UnsafeMutablePointer(mutating: n), UnsafeMutablePointer(mutating: v))
                }
            }
        }
        // An unrolled network: one cluster per time step, its label on top.
        var clusters: [UnsafeMutablePointer<Agraph_t>] = []
        if !graph.columns.isEmpty {
            set(g, "newrank", "true")  // one ranking across the columns, so they line up
            // A slide: compact boxes, and no wider than 1280 px at 96 dpi (scaled down if need be).
            set(g, "ranksep", "0.25")
            set(g, "nodesep", "0.15")
            set(g, "size", "13.333,100")
        }
        for (column, label) in graph.columns.enumerated() {
            guard let cluster = "cluster_step\(column + 1)".withCString({ agsubg(g, UnsafeMutablePointer(mutating: $0), 1) })
            else { throw RenderError.graphviz(step: "adding the column of step \(column + 1)") }
            set(cluster, "label", label)
            set(cluster, "style", "rounded,dashed")
            set(cluster, "color", "grey55")
            set(cluster, "fontsize", "13")
            // on top: with inputs at the bottom (rankdir BT) Graphviz turns b into the top
            set(cluster, "labelloc", FigureStyle.current.rankdir == "BT" ? "b" : "t")
            clusters.append(cluster)
        }
        var created: [String: UnsafeMutablePointer<Agnode_t>] = [:]
        // dot keeps the columns in an order that follows the order their nodes come in,
        // but which one depends on the graph: ``render`` tries each until they run left to right.
        let leftToRight = [.leftToRight, .outsideThenLeftToRight].contains(columnOrder)
        let columns = leftToRight ? Array(graph.columns.indices) : graph.columns.indices.reversed()
        let inColumns = columns.flatMap { c in graph.nodes.filter { $0.column == c } }
        let outside = graph.nodes.filter { $0.column == nil }
        let ordered = [.leftToRight, .rightToLeft].contains(columnOrder) ? inColumns + outside : outside + inColumns
        for node in ordered {
            guard let n = node.id.withCString({ agnode(g, UnsafeMutablePointer(mutating: $0), 1) }) else {
                throw RenderError.graphviz(step: "adding node \(node.id)")
            }
            if let column = node.column { _ = agsubnode(clusters[column], n, 1) }
            // Graphviz reads the two characters \n in a label as a centred line break.
            set(n, "label", node.label.replacingOccurrences(of: "\n", with: "\\n"))
            if node.role == .input { set(n, "style", "rounded") }
            set(n, "fillcolor", fill(node.role))
            created[node.id] = n
        }
        for (index, edge) in graph.edges.enumerated() {
            guard var tail = created[edge.from], var head = created[edge.to]
            else { throw RenderError.graphviz(step: "adding edge \(edge.from) → \(edge.to)") }
            // h(t−1) → the first op of step t points down the page: dot lays it out as an
            // edge up from that op, drawn with its arrow reversed. An edge within one rank
            // (c(t−1) → c(t)) is handed over turned round the same way when it points
            // right: with inputs at the bottom, dot puts such an edge's tail on the right,
            // and the → and ← chains of a bidirectional network would pull the columns
            // opposite ways.
            let reversed = edge.downward || (!edge.leftward && edge.level == edge.to)
            if reversed { swap(&tail, &head) }
            guard let e = agedge(g, tail, head, nil, 1) else {
                throw RenderError.graphviz(step: "adding edge \(edge.from) → \(edge.to)")
            }
            if reversed { set(e, "dir", "back") }
            if edge.acrossSteps && edge.level == nil { set(e, "constraint", "false") }
            if edge.invisible { set(e, "style", "invis") }
            // The value passed on is drawn level with its counterpart in the next step.
            if let level = edge.level, let a = created[edge.from], let b = created[level] {
                guard let same = "level\(index)".withCString({ agsubg(g, UnsafeMutablePointer(mutating: $0), 1) })
                else { throw RenderError.graphviz(step: "levelling \(edge.from) with \(level)") }
                set(same, "rank", "same")
                _ = agsubnode(same, a, 1)
                _ = agsubnode(same, b, 1)
            }
        }
        // What feeds the columns from outside is drawn below them, all on one rank.
        let feeding = Set(graph.feedingTheColumns)
        for edge in graph.edges where feeding.contains(edge.from) && !edge.invisible {
            if let tail = created[edge.from], let head = created[edge.to], let e = agedge(g, tail, head, nil, 0) {
                set(e, "minlen", "2")
            }
        }
        let feeders = graph.feedingTheColumns.compactMap { created[$0] }
        if feeders.count > 1 {
            guard let same = "inputs".withCString({ agsubg(g, UnsafeMutablePointer(mutating: $0), 1) })
            else { throw RenderError.graphviz(step: "levelling the inputs") }
            set(same, "rank", "same")
            for n in feeders { _ = agsubnode(same, n, 1) }
        }
        return try body(gvc, g)
    }

    private static func fill(_ role: ComputationGraph.Role) -> String {
        switch role {
        case .input: return "white"
        case .parameter: return "lightblue"
        case .operation: return "lightgrey"
        case .output: return "darkolivegreen1"
        }
    }

    /// agsafeset with Swift strings (Graphviz 2.42+ takes `char *`; nothing is leaked).
    private static func set(_ object: UnsafeMutableRawPointer, _ name: String, _ value: String) {
        name.withCString { n in
            value.withCString { v in
                "".withCString { empty in
                    _ = agsafeset(object, UnsafeMutablePointer(mutating: n), UnsafeMutablePointer(mutating: v),
                                  UnsafeMutablePointer(mutating: empty))
                }
            }
        }
    }
}

private func agopen(mutating name: String, _ descriptor: Agdesc_t) -> UnsafeMutablePointer<Agraph_t>? {
    // cgraphviz_ordered: subgraphs kept in the order they are created (see shim.h)
    name.withCString { agopen(UnsafeMutablePointer(mutating: $0), descriptor, cgraphviz_ordered()) }
}

private extension GraphvizRenderer {
    static func set(_ g: UnsafeMutablePointer<Agraph_t>, _ name: String, _ value: String) {
        set(UnsafeMutableRawPointer(g), name, value)
    }
    static func set(_ n: UnsafeMutablePointer<Agnode_t>, _ name: String, _ value: String) {
        set(UnsafeMutableRawPointer(n), name, value)
    }
    static func set(_ e: UnsafeMutablePointer<Agedge_t>, _ name: String, _ value: String) {
        set(UnsafeMutableRawPointer(e), name, value)
    }
}
