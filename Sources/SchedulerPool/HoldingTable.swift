import CSchedulerAllocator

/// Every allocation of a pool by slot number, in memory the table manages itself.
///
/// Slots `0..<highWater` are initialized: each holds an allocation or a vacant `Holding`
/// (empty strings, which own no references); vacant slots are kept on a stack and reused first.
/// Raw storage rather than arrays keeps uniqueness and bounds checks off the allocate/release
/// path; the caller only passes slot numbers it got from this table.
struct HoldingTable: ~Copyable {
    private var base: UnsafeMutablePointer<Holding>
    private var vacant: UnsafeMutablePointer<UInt32>
    private var capacity: Int
    private var vacantCount = 0
    /// Slots ever used: `0..<highWater` are initialized.
    private(set) var highWater = 0

    /// An empty table.
    init() {
        capacity = 16
        base = .allocate(capacity: capacity)
        vacant = .allocate(capacity: capacity)
    }

    deinit {
        base.deinitialize(count: highWater)
        base.deallocate()
        vacant.deallocate()
    }

    /// The slot the next `insert` fills.
    var nextSlot: UInt32 { vacantCount > 0 ? vacant[vacantCount - 1] : UInt32(highWater) }

    /// The allocation in `slot` (which holds one).
    subscript(slot: UInt32) -> Holding { base[Int(slot)] }

    /// True when the allocation in `slot` belongs to the owner (subinstance, resource).
    func matches(_ slot: UInt32, subinstance: String, resource: String) -> Bool {
        let holding = base + Int(slot)
        return holding.pointee.resource == resource && holding.pointee.subinstance == subinstance
    }

    /// Stores `holding` in `nextSlot`.
    mutating func insert(_ holding: consuming Holding) {
        if vacantCount > 0 {
            vacantCount -= 1
            // A vacant holding owns no references, so it is overwritten, not destroyed.
            (base + Int(vacant[vacantCount])).initialize(to: holding)
            return
        }
        if highWater == capacity { grow() }
        (base + highWater).initialize(to: holding)
        highWater += 1
    }

    /// Starts fetching `slot`'s allocation into the cache, so that a later access overlaps other work.
    func prefetch(_ slot: UInt32) { cschedalloc_prefetch(base + Int(slot)) }

    /// Empties `slot` (which holds an allocation) and returns its allocation, moved out.
    mutating func remove(_ slot: UInt32) -> Holding {
        let pointer = base + Int(slot)
        let holding = pointer.move()
        pointer.initialize(to: Holding.vacant)
        vacant[vacantCount] = slot
        vacantCount += 1
        return holding
    }

    /// Every slot's allocation, `nil` for a vacant one (administrative calls and snapshots).
    var holdings: [Holding?] {
        (0..<highWater).map { base[$0].isVacant ? nil : base[$0] }
    }

    private mutating func grow() {
        let larger = capacity * 2
        let moved = UnsafeMutablePointer<Holding>.allocate(capacity: larger)
        moved.moveInitialize(from: base, count: highWater)
        base.deallocate()
        base = moved
        let stack = UnsafeMutablePointer<UInt32>.allocate(capacity: larger)
        stack.initialize(from: vacant, count: vacantCount)
        vacant.deallocate()
        vacant = stack
        capacity = larger
    }
}

/// One allocated address, its owner and the generation of the allocation.
struct Holding {
    let subinstance: String
    let resource: String
    let type: ResourceType
    let generation: UInt64
    let ip: IPAddress

    /// The content of a vacant slot: empty strings (no references) and generation 0, which no
    /// allocation has (generations start at 1).
    static var vacant: Holding {
        Holding(subinstance: "", resource: "", type: .custom(""), generation: 0, ip: IPAddress(ipv4: 0))
    }

    /// True for the content of a vacant slot.
    var isVacant: Bool { generation == 0 }
}
