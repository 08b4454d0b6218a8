import Glibc

extension JSONStreamEncoder {
    /// Puts the members of the object whose marks start at `base` in key order (bytewise, as
    /// `JSONEncoder`'s `.sortedKeys`), keeping only the last value of a key encoded twice. Members
    /// already in order (synthesized conformances with keys declared in order) are left as written.
    func sortMembers(from base: Int) {
        let count = marks.count - base
        guard count > 1 else { return }
        var ordered = true
        for index in base + 1..<marks.count where compareKeys(marks[index - 1], marks[index]) >= 0 {
            ordered = false
            break
        }
        if ordered { return }
        let end = bytes.count
        func segmentEnd(_ index: Int) -> Int { index + 1 < marks.count ? marks[index + 1].start - 1 : end }
        // Stable: of equal keys the one encoded last comes last, and is the one kept.
        scratchOrder.removeAll(keepingCapacity: true)
        scratchOrder.append(contentsOf: base..<marks.count)
        scratchOrder.sort { a, b in
            let order = compareKeys(marks[a], marks[b])
            return order < 0 || (order == 0 && a < b)
        }
        scratchBytes.removeAll(keepingCapacity: true)
        for (position, index) in scratchOrder.enumerated() {
            if position + 1 < scratchOrder.count, compareKeys(marks[index], marks[scratchOrder[position + 1]]) == 0 { continue }
            if !scratchBytes.isEmpty { scratchBytes.append(UInt8(ascii: ",")) }
            let start = marks[index].start
            let length = segmentEnd(index) - start
            bytes.withUnsafeBufferPointer { buffer in
                scratchBytes.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress! + start, count: length))
            }
        }
        let start = marks[base].start
        if scratchBytes.count == end - start {
            bytes.withUnsafeMutableBufferPointer { buffer in
                scratchBytes.withUnsafeBufferPointer { sorted in
                    (buffer.baseAddress! + start).update(from: sorted.baseAddress!, count: sorted.count)
                }
            }
        } else {
            bytes.replaceSubrange(start..<end, with: scratchBytes)
        }
    }

    /// The bytewise order of two members' keys: negative, zero or positive.
    private func compareKeys(_ a: Mark, _ b: Mark) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            let lengthA = a.keyEnd - a.start - 1
            let lengthB = b.keyEnd - b.start - 1
            let common = min(lengthA, lengthB)
            let order = common == 0 ? 0 : Int(memcmp(buffer.baseAddress! + a.start + 1, buffer.baseAddress! + b.start + 1, common))
            return order != 0 ? order : lengthA - lengthB
        }
    }
}
