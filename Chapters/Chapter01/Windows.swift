import TextData

/*: ## Words as feature vectors

 The window classifier sees each word through a small vector. We give every word three
 learned pieces, concatenated:

 - its **word embedding**, looked up by the word in lower case with digits written as 0
   (so "Paris" and "PARIS" share a vector, and so do "1996" and "2024");
 - a **capitalization** embedding, because case is most of what tells "Paris" from
   "paris" (Collobert et al. 2011 give their window network the same feature);
 - **prefix** and **suffix** embeddings of the first and last three letters, which let a
   word never seen in training still say something ("-ton", "-ese", "Mc-").

 A window of ±2 words around the centre word is five such vectors side by side:
 x = [x₋₂; x₋₁; x₀; x₊₁; x₊₂] ∈ R^(5d). Positions past either end of the sentence are
 filled with padding tokens of their own.
*/

/// The three feature vocabularies, built from the training sentences.
struct WindowFeatures {
    static let halfWidth = 2
    static let width = 2 * halfWidth + 1
    static let leftPadding = "<s>"
    static let rightPadding = "</s>"

    let words: Vocabulary
    let prefixes: Vocabulary
    let suffixes: Vocabulary

    /// "Paris" → "paris", "1996" → "0000".
    static func normalize(_ word: String) -> String { normalizedWord(word) }

    static func prefix(_ word: String) -> String { String(normalize(word).prefix(3)) }
    static func suffix(_ word: String) -> String { String(normalize(word).suffix(3)) }

    /// Words and suffixes seen at least `minimumCount` times get their own vectors; rarer
    /// ones share `<unk>`, which is how the model learns a vector for unseen words.
    init(training sentences: [[String]], minimumCount: Int = 2) {
        let tokens = sentences.joined()
        words = Vocabulary(counting: tokens.map(Self.normalize), minimumCount: minimumCount,
                           specials: [Self.leftPadding, Self.rightPadding])
        prefixes = Vocabulary(counting: tokens.map(Self.prefix), minimumCount: minimumCount,
                              specials: [Self.leftPadding, Self.rightPadding])
        suffixes = Vocabulary(counting: tokens.map(Self.suffix), minimumCount: minimumCount,
                              specials: [Self.leftPadding, Self.rightPadding])
    }

    /// Every window of every sentence, flattened: ids are (windows × 5) row-major.
    func windows(_ sentences: [[String]]) -> WindowBatch {
        var batch = WindowBatch()
        for sentence in sentences {
            let wordIDs = sentence.map { words.id(Self.normalize($0)) }
            let prefixIDs = sentence.map { prefixes.id(Self.prefix($0)) }
            let suffixIDs = sentence.map { suffixes.id(Self.suffix($0)) }
            let caps = sentence.map { Capitalization($0).rawValue }
            for center in sentence.indices {
                for offset in -Self.halfWidth...Self.halfWidth {
                    let i = center + offset
                    if i < 0 {
                        batch.words.append(words.id(Self.leftPadding))
                        batch.prefixes.append(prefixes.id(Self.leftPadding))
                        batch.suffixes.append(suffixes.id(Self.leftPadding))
                        batch.capitalization.append(Capitalization.padding.rawValue)
                    } else if i >= sentence.count {
                        batch.words.append(words.id(Self.rightPadding))
                        batch.prefixes.append(prefixes.id(Self.rightPadding))
                        batch.suffixes.append(suffixes.id(Self.rightPadding))
                        batch.capitalization.append(Capitalization.padding.rawValue)
                    } else {
                        batch.words.append(wordIDs[i])
                        batch.prefixes.append(prefixIDs[i])
                        batch.suffixes.append(suffixIDs[i])
                        batch.capitalization.append(caps[i])
                    }
                }
            }
        }
        return batch
    }

    /// The five words of the window centred on `center`, padding included.
    static func windowWords(_ sentence: [String], center: Int) -> [String] {
        (-halfWidth...halfWidth).map { offset in
            let i = center + offset
            return i < 0 ? leftPadding : i >= sentence.count ? rightPadding : sentence[i]
        }
    }
}

/// Feature ids of a set of windows, `WindowFeatures.width` per window, row-major.
struct WindowBatch {
    var words: [Int] = []
    var capitalization: [Int] = []
    var prefixes: [Int] = []
    var suffixes: [Int] = []

    var count: Int { words.count / WindowFeatures.width }

    /// The windows at `indices`, in that order.
    func select(_ indices: some Collection<Int>) -> WindowBatch {
        var out = WindowBatch()
        let w = WindowFeatures.width
        for i in indices {
            out.words += words[(i * w)..<((i + 1) * w)]
            out.capitalization += capitalization[(i * w)..<((i + 1) * w)]
            out.prefixes += prefixes[(i * w)..<((i + 1) * w)]
            out.suffixes += suffixes[(i * w)..<((i + 1) * w)]
        }
        return out
    }
}
