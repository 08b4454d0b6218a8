import HTTPTypes
import Testing

@testable import SchedulerHTTP

/// The trie behind the router where the common cases stop: nodes with many literal children (a
/// hash table instead of a scan), routes with more parameters than are held inline, and the
/// context's parameters seen as a dictionary.
@Suite(.timeLimit(.minutes(2))) struct RouterTrieTests {
    static func body(_ router: HTTPRouter, _ path: String) async throws -> String {
        RouterTests.body(try await router.route(RouterTests.request(.get, path)))
    }

    @Test(arguments: [3, LiteralChildren<Int>.linearLimit, LiteralChildren<Int>.linearLimit + 1, 200])
    func everyLiteralSiblingFindsItsOwnRoute(_ count: Int) async throws {
        var router = HTTPRouter()
        for index in 0..<count {
            try router.get("/items/item\(index)/view") { _, _ in "literal \(index)" }
        }
        try router.get("/items/:name/view") { _, context in "parameter \(context["name"]!)" }
        try router.get("/items/") { _, _ in "empty segment" }
        for index in 0..<count {
            #expect(try await Self.body(router, "/items/item\(index)/view") == "literal \(index)")
        }
        // Near misses fall through to the parameter: a prefix, a longer name, another case.
        #expect(try await Self.body(router, "/items/item/view") == "parameter item")
        #expect(try await Self.body(router, "/items/item\(count)/view") == "parameter item\(count)")
        #expect(try await Self.body(router, "/items/ITEM0/view") == "parameter ITEM0")
        #expect(try await Self.body(router, "/items/") == "empty segment")
        #expect(try await router.route(RouterTests.request(.get, "/items/item0")).head.status == .notFound)
    }

    @Test func aRouteWithMoreParametersThanHeldInlineGetsThemAll() async throws {
        var router = HTTPRouter()
        try router.get("/:a/:b/:c/:d/:e/**") { _, context in
            ["a", "b", "c", "d", "e"].map { context[$0] ?? "-" }.joined(separator: ",") + " rest=\(context.catchAll!)"
        }
        try router.get("/x/:a/:b") { _, context in
            context.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        }
        #expect(try await Self.body(router, "/1/two/3/f%C3%BCnf/5/x/y") == "1,two,3,fünf,5 rest=x/y")
        #expect(try await Self.body(router, "/1/2/3/4/5") == "1,2,3,4,5 rest=")
        #expect(try await Self.body(router, "/x/p/q") == "a=p&b=q")
        let bad = try await router.route(RouterTests.request(.get, "/1/2/3/%zz/5/x"))
        #expect(bad.head.status == .badRequest)
        #expect(RouterTests.body(bad).contains("parameter d"))
    }

    @Test func contextParametersReadAndWriteAsADictionary() {
        var context = RouteContext(parameters: ["id": "7", "name": "a b"], route: "/u/:id/:name")
        #expect(context["id"] == "7")
        #expect(context["name"] == "a b")
        #expect(context["missing"] == nil)
        #expect(context.parameters == ["id": "7", "name": "a b"])
        context.parameters["id"] = "8"
        context.parameters["extra"] = "x"
        #expect(context["id"] == "8")
        #expect(context["extra"] == "x")
        #expect(context.parameters == ["id": "8", "name": "a b", "extra": "x"])
        context.parameters = [:]
        #expect(context["id"] == nil)
    }

    @Test func smallListKeepsOrderPastItsInlineSlots() {
        var list = SmallList<Int>()
        for value in 0..<7 { list.append(value * 10) }
        #expect((0..<list.count).map { list[$0] } == [0, 10, 20, 30, 40, 50, 60])
        list.removeLast()
        list.removeLast()
        list.removeLast()
        list.removeLast()
        #expect((0..<list.count).map { list[$0] } == [0, 10, 20])
        list.append(99)
        #expect((0..<list.count).map { list[$0] } == [0, 10, 20, 99])
    }
}
