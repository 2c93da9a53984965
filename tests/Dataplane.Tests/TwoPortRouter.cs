using Mgmt.Dataplane.Packets;
using Mgmt.Dataplane.Ports;

namespace Mgmt.Dataplane.Tests;

/// <summary>
/// The router most tests use, on memory ports: 10.0.1.1/24 on if0 with host A (10.0.1.2) behind it, 10.0.2.1/24 on
/// if1 with host B (10.0.2.2); both up, both neighbors static.
/// </summary>
internal static class TwoPortRouter
{
    public const ulong MacIf0 = 0x02_00_00_00_00_01, MacIf1 = 0x02_00_00_00_00_02, MacA = 0x02_aa_00_00_00_0a, MacB = 0x02_bb_00_00_00_0b;

    public static (Dataplane, MemoryPort, MemoryPort) Build(int buffers = 512, int workers = 1)
    {
        var dp = new Dataplane(buffers, workers);
        MemoryPort p0 = new(), p1 = new();
        dp.CreateInterface("if0", p0, MacIf0);
        dp.CreateInterface("if1", p1, MacIf1);
        dp.AddAddress("if0", Ip4.Parse("10.0.1.1"), 24);
        dp.AddAddress("if1", Ip4.Parse("10.0.2.1"), 24);
        dp.SetAdminUp("if0", true);
        dp.SetAdminUp("if1", true);
        dp.AddNeighbor("if0", Ip4.Parse("10.0.1.2"), MacA);
        dp.AddNeighbor("if1", Ip4.Parse("10.0.2.2"), MacB);
        return (dp, p0, p1);
    }
}
