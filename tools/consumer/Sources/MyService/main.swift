import SchedulerCore

let pool = IPPool(name: "tenants")
try pool.addCIDRRange("127.77.0.0/24")
let ip = try pool.allocate(subinstance: "tenant-a", resource: "web", type: .custom("tcp-server"))
let socket = try Socket.tcpV4()
try socket.bind(with: pool.binding(for: ip)!, port: 0)
print("tenant-a/web holds \(ip); sockets use \(IOBackend.current)")
