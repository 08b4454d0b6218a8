/// A short list whose first three elements are held inline: a route's parameters (rarely more
/// than two) without a heap allocation per request.
struct SmallList<Element> {
    private(set) var count = 0
    private var first: Element?
    private var second: Element?
    private var third: Element?
    private var more: [Element] = []

    /// Adds an element at the end.
    mutating func append(_ element: Element) {
        switch count {
        case 0: first = element
        case 1: second = element
        case 2: third = element
        default: more.append(element)
        }
        count += 1
    }

    /// Drops the last element (there must be one).
    mutating func removeLast() {
        count -= 1
        switch count {
        case 0: first = nil
        case 1: second = nil
        case 2: third = nil
        default: more.removeLast()
        }
    }

    /// The element at `index` (0 ..< count).
    subscript(index: Int) -> Element {
        switch index {
        case 0: first!
        case 1: second!
        case 2: third!
        default: more[index - 3]
        }
    }
}

extension SmallList: Sendable where Element: Sendable {}
