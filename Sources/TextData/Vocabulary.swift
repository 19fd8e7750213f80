/// A closed word list: word ↔ id, with `<unk>` for everything left out.
///
/// Ids are assigned in a fixed order: the special tokens first (`<unk>` is id 0), then
/// the words by decreasing count, ties broken alphabetically, so the same corpus always
/// gives the same ids. Words seen fewer than `minimumCount` times map to `<unk>`.
public struct Vocabulary: Sendable, Equatable {
    public static let unknown = "<unk>"

    public private(set) var words: [String]
    private var ids: [String: Int]

    public init<S: Sequence>(counting tokens: S, minimumCount: Int = 1, specials: [String] = [])
    where S.Element == String {
        var counts: [String: Int] = [:]
        for token in tokens { counts[token, default: 0] += 1 }
        self.init(counts: counts, minimumCount: minimumCount, specials: specials)
    }

    public init(counts: [String: Int], minimumCount: Int = 1, specials: [String] = []) {
        let head = [Vocabulary.unknown] + specials.filter { $0 != Vocabulary.unknown }
        let kept = counts
            .filter { $0.value >= minimumCount && !head.contains($0.key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map(\.key)
        words = head + kept
        ids = Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, $0) })
    }

    public var count: Int { words.count }
    public var unknownID: Int { 0 }

    /// The id of `word`, or of `<unk>` when it is not in the vocabulary.
    public func id(_ word: String) -> Int { ids[word] ?? 0 }
    public func contains(_ word: String) -> Bool { ids[word] != nil }
    public func word(_ id: Int) -> String { words[id] }
}
