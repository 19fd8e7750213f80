import NeuralKit

/// A drawing of a tape: one node per tape node, one edge per input, in tape order.
///
/// Styled after torchviz: parameters are light blue boxes with their name and shape,
/// inputs are white boxes, ops are grey boxes with their label and output shape, and the
/// output (the loss) is green. Node ids are `n0`, `n1`, … in tape order, so the same
/// computation always gives the same DOT text.
///
/// An unrolled network is drawn the way the slides draw it: when the tape stamped its
/// nodes with time steps (``Tape/timeStep``), each step is one column, time flowing left
/// to right, and a weight shared by every step is drawn once in each column that uses it
/// (`n5_t2` is parameter node 5 in column 2), so no edge crosses the whole picture. Nodes
/// the tape did not stamp join a column when everything they depend on (or, for an input,
/// everything that uses it) lies in that column; the rest (the inputs of every step
/// projected at once, below; the output and the layers over all steps, above) stay
/// outside the columns.
public struct ComputationGraph: Sendable, Equatable {
    public enum Role: String, Sendable { case input, parameter, operation, output }

    /// How the loops over time of one tape share the columns.
    public enum Loops: Sendable, Equatable {
        /// Each loop's steps come after the previous loop's: an encoder's columns, then
        /// its decoder's. `names` (one per loop, optional) label the columns: "encoder t = 1".
        case oneAfterAnother(names: [String] = [])
        /// Loops over the same positions share the columns, one row each, the first loop
        /// at the bottom: a bidirectional network's → chain below its ← chain.
        case stacked
    }

    public struct Node: Sendable, Equatable {
        public let id: String
        public let label: String
        public let role: Role
        /// The column (0 is the first time step) the node is drawn in; nil outside the columns.
        public var column: Int? = nil
        /// The row within its column (``Loops/stacked``); 0 is the bottom one.
        public var row = 0
    }

    public struct Edge: Sendable, Equatable {
        public let from: String
        public let to: String
        /// From one time step's column into another's (h(t−1) into step t): drawn, but it
        /// does not lift step t above step t−1, so the columns stand side by side.
        public var acrossSteps = false
        /// Not drawn: it only keeps one row of a column above another.
        public var invisible = false
        /// For an edge across steps: the node of the later step drawn level with `from`,
        /// its counterpart there (h(t−1) level with h(t), J(t−1) with J(t)).
        public var level: String? = nil
        /// `to` lies below that counterpart (h(t−1) feeds the bottom of step t): the edge
        /// points down the page.
        public var downward = false
        /// From a later column into an earlier one (a backward chain runs right to left).
        public var leftward = false
    }

    public let title: String
    public private(set) var nodes: [Node] = []
    public private(set) var edges: [Edge] = []
    /// Each column's label ("t = 1", …), left to right; empty for a graph without time steps.
    public private(set) var columns: [String] = []

    /// The graph of every node on `tape` that `output` depends on.
    public init<Scalar>(tape: Tape<Scalar>, output: Variable<Scalar>, title: String,
                        loops: Loops = .oneAfterAnother()) {
        self.title = title
        // Keep only the ancestors of the output (a tape may hold side computations).
        var needed = Set([output.id])
        for id in stride(from: output.id, through: 0, by: -1) where needed.contains(id) {
            needed.formUnion(tape.nodes[id].inputs)
        }
        let ids = tape.nodes.indices.filter(needed.contains)
        let place = Self.places(tape: tape, ids: ids, output: output.id, loops: loops, columns: &columns)

        // A parameter is drawn once in each column that uses it (and once outside, if an
        // op outside the columns uses it): the id of its drawing next to an op in `column`.
        func drawn(_ id: Int, usedIn column: Int?) -> String {
            guard tape.nodes[id].kind == .parameter, let column else { return "n\(id)" }
            return "n\(id)_t\(column + 1)"
        }
        var consumers: [Int: [Int]] = [:]
        for id in ids { for input in tape.nodes[id].inputs { consumers[input, default: []].append(id) } }

        for id in ids {
            let node = tape.nodes[id]
            let label = "\(node.label)\n\(Self.format(shape: node.value.shape))"
            switch node.kind {
            case .parameter:
                let uses = consumers[id, default: []].map { place[$0] }
                let columns = Set(uses.map { $0?.column ?? -1 }).sorted()
                for column in columns {
                    let c = column < 0 ? nil : column
                    let row = uses.filter { $0?.column == c }.map { $0?.row ?? 0 }.min() ?? 0
                    nodes.append(Node(id: drawn(id, usedIn: c), label: label, role: .parameter, column: c, row: row))
                }
            case .input, .operation:
                let role: Role = node.kind == .input ? .input : id == output.id ? .output : .operation
                nodes.append(Node(id: "n\(id)", label: label, role: role, column: place[id]?.column, row: place[id]?.row ?? 0))
                for input in node.inputs {
                    let from = place[input]?.column, to = place[id]?.column
                    edges.append(Edge(from: drawn(input, usedIn: to), to: "n\(id)",
                                      acrossSteps: from != nil && to != nil && from != to))
                }
            }
        }
        levelAcrossSteps()
        edges += rowOrder()
    }

    /// The nodes outside the columns that feed them (every step's inputs projected at
    /// once), to be drawn on one rank: below the columns, even those that feed an upper row.
    public var feedingTheColumns: [String] {
        let column = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.column) })
        var feeders: [String] = []
        for edge in edges where !edge.invisible && column[edge.from]! == nil && column[edge.to]! != nil
            && !feeders.contains(edge.from) {
            feeders.append(edge.from)
        }
        return feeders
    }

    /// Finds, for each edge from one step into another, the counterpart of its tail in
    /// the later step: the node with the same label, the same number of times before it
    /// in its column and row. The two are drawn on one rank, so every column has the same
    /// heights and h(t) flows left to right; without a counterpart the edge does not
    /// constrain the layout at all.
    private mutating func levelAcrossSteps() {
        let byID = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0) })
        func occurrence(_ node: Node) -> Int {
            nodes.filter { $0.column == node.column && $0.row == node.row && $0.label == node.label }
                .firstIndex { $0.id == node.id }!
        }
        for index in edges.indices where edges[index].acrossSteps {
            let tail = byID[edges[index].from]!, head = byID[edges[index].to]!
            let candidates = nodes.filter { $0.column == head.column && $0.row == tail.row && $0.label == tail.label }
            let k = occurrence(tail)
            guard k < candidates.count else { continue }
            let counterpart = candidates[k].id
            edges[index].level = counterpart
            // Downward when the counterpart is computed from the head, within its column.
            var reached: Set<String> = [head.id], frontier = [head.id]
            while let id = frontier.popLast() {
                for edge in edges where edge.from == id && !edge.acrossSteps && byID[edge.to]?.column == head.column
                    && reached.insert(edge.to).inserted {
                    frontier.append(edge.to)
                }
            }
            edges[index].downward = counterpart != head.id && reached.contains(counterpart)
            edges[index].leftward = head.column! < tail.column!
        }
    }

    /// Where each node of the unrolled loops goes: (column, row) by its time step, or by
    /// its neighbours' when the tape did not stamp it; no entry for a node outside the
    /// columns. Parameters are placed later, by their uses.
    private static func places<Scalar>(
        tape: Tape<Scalar>, ids: [Int], output: Int, loops: Loops, columns: inout [String]
    ) -> [Int: (column: Int, row: Int)] {
        let stamped = ids.filter { tape.nodes[$0].kind != .parameter && tape.nodes[$0].step != nil }
        let steps = Set(stamped.map { tape.nodes[$0].step! })
        let loopNumbers = Set(steps.map(\.loop)).sorted()
        var place: [Int: (column: Int, row: Int)] = [:]
        switch loops {
        case .oneAfterAnother(let names):
            let ordered = steps.sorted { ($0.loop, $0.time) < ($1.loop, $1.time) }
            let column = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
            columns = ordered.map { step in
                let loop = loopNumbers.firstIndex(of: step.loop)!
                return loop < names.count ? "\(names[loop]) t = \(step.time)" : "t = \(step.time)"
            }
            for id in stamped { place[id] = (column[tape.nodes[id].step!]!, 0) }
        case .stacked:
            let times = Set(steps.map(\.time)).sorted()
            columns = times.map { "t = \($0)" }
            for id in stamped {
                let step = tape.nodes[id].step!
                place[id] = (times.firstIndex(of: step.time)!, loopNumbers.firstIndex(of: step.loop)!)
            }
        }
        guard !columns.isEmpty else { return [:] }
        // An op computed from one column alone (the two directions' h(t) joined) belongs to
        // it; the output is the whole network's, drawn outside.
        for id in ids where tape.nodes[id].kind == .operation && place[id] == nil && id != output {
            let from = tape.nodes[id].inputs.compactMap { place[$0] }
            if let first = from.first, from.allSatisfy({ $0.column == first.column }) {
                place[id] = (first.column, from.map(\.row).max()!)
            }
        }
        // An input used in one column alone (h(0)) is drawn in it.
        var uses: [Int: [(column: Int, row: Int)?]] = [:]
        for id in ids { for input in tape.nodes[id].inputs { uses[input, default: []].append(place[id]) } }
        for id in ids where tape.nodes[id].kind == .input && place[id] == nil {
            let used = uses[id, default: []]
            if let first = used.first ?? nil, used.allSatisfy({ $0?.column == first.column }) {
                place[id] = (first.column, used.map { $0!.row }.min()!)
            }
        }
        return place
    }

    /// Invisible edges that keep each row of a column above the row below it: from every
    /// node of the lower row that nothing in its row uses, to every node of the upper row
    /// that uses nothing in its row.
    private func rowOrder() -> [Edge] {
        var order: [Edge] = []
        for column in columns.indices {
            let rows = Dictionary(grouping: nodes.filter { $0.column == column }, by: \.row)
            for row in rows.keys.sorted().dropFirst() {
                guard let lower = rows[row - 1], let upper = rows[row] else { continue }
                let lowerIDs = Set(lower.map(\.id)), upperIDs = Set(upper.map(\.id))
                let sinks = lower.filter { n in !edges.contains { $0.from == n.id && lowerIDs.contains($0.to) } }
                let sources = upper.filter { n in !edges.contains { $0.to == n.id && upperIDs.contains($0.from) } }
                for sink in sinks { for source in sources { order.append(Edge(from: sink.id, to: source.id, invisible: true)) } }
            }
        }
        return order
    }

    /// `[5, 50]` → `5 × 50`; a scalar is `scalar`.
    static func format(shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: " × ")
    }
}
