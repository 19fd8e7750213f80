/// A hash table from packed n-gram keys to integers: open addressing with linear probing
/// and a multiplicative hash, kept at most half full.
///
/// It does what `[UInt128: Int]` does, about five times faster here: n-gram counting is
/// nothing but millions of lookups, and the standard dictionary's SipHash costs more
/// than the rest of the work.
public struct NGramTable: Sendable {
    private var keys: [UInt128]
    private var values: [Int]
    private var filled: [Bool]
    private var mask: Int
    public private(set) var count = 0

    public init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity < 2 * minimumCapacity { capacity <<= 1 }
        keys = [UInt128](repeating: 0, count: capacity)
        values = [Int](repeating: 0, count: capacity)
        filled = [Bool](repeating: false, count: capacity)
        mask = capacity - 1
    }

    @inline(__always)
    private func home(_ key: UInt128) -> Int {
        let low = UInt64(truncatingIfNeeded: key), high = UInt64(truncatingIfNeeded: key >> 64)
        var h = low &* 0x9E37_79B9_7F4A_7C15 ^ (high &+ 0x632B_E59B_D9B4_E019) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 31
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    private func probe(_ key: UInt128) -> (slot: Int, found: Bool) {
        var i = home(key)
        while filled[i] {
            if keys[i] == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    public subscript(key: UInt128) -> Int? {
        let (slot, found) = probe(key)
        return found ? values[slot] : nil
    }

    /// table[key] += amount (a missing key counts as 0).
    public mutating func add(_ key: UInt128, _ amount: Int) {
        let (slot, found) = probe(key)
        if found { values[slot] += amount; return }
        keys[slot] = key
        values[slot] = amount
        filled[slot] = true
        count += 1
        if 2 * count > keys.count { grow() }
    }

    /// table[key] = value.
    public mutating func set(_ key: UInt128, _ value: Int) {
        let (slot, found) = probe(key)
        values[slot] = value
        if found { return }
        keys[slot] = key
        filled[slot] = true
        count += 1
        if 2 * count > keys.count { grow() }
    }

    private mutating func grow() {
        var bigger = NGramTable(minimumCapacity: keys.count)
        forEach { bigger.set($0, $1) }
        self = bigger
    }

    /// Calls `body` with every key and value, in slot order.
    public func forEach(_ body: (UInt128, Int) throws -> Void) rethrows {
        for i in keys.indices where filled[i] { try body(keys[i], values[i]) }
    }

    /// The sum of all values.
    public var total: Int {
        var sum = 0
        forEach { sum += $1 }
        return sum
    }
}
