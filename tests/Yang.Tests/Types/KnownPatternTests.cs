using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Types;

/// <summary>
/// The hand-written matchers of the inet-types address patterns (<see cref="KnownPatterns"/>) accept exactly what
/// the patterns' regexes accept: edge cases, then many generated and mutated values held to the regex itself.
/// </summary>
public sealed class KnownPatternTests
{
    private static readonly Lazy<SchemaContext> Context = new(() => SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang));

    private static IEnumerable<string> ServedPatterns(params string[] typedefs) =>
        typedefs.SelectMany(t => Context.Value.GetModule("ietf-inet-types")!.Typedefs[t].Patterns).Select(p => p.Pattern);

    public static TheoryData<string> Patterns() =>
        [.. ServedPatterns("ipv4-address", "ipv4-prefix", "ipv4-address-no-zone", "ipv6-address-no-zone").Distinct().Where(p => KnownPatterns.For(p) is not null)];

    [Fact]
    public void The_served_address_types_use_the_matchers()
    {
        // A pattern written differently (a revision of the module) would quietly fall back to its regex.
        foreach (var p in ServedPatterns("ipv4-address", "ipv4-prefix", "ipv4-address-no-zone", "ipv4-address-and-prefix"))
            Assert.NotNull(KnownPatterns.For(p));
        Assert.Equal(4, Patterns().Count); // and the IPv6 types' own character set (their address patterns keep regexes)
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void A_matcher_agrees_with_its_regex(string pattern)
    {
        var matcher = KnownPatterns.For(pattern)!;
        var regex = XsdRegex.Compile(pattern);
        string[] edges =
        [
            "", "0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "00.0.0.0", "1.2.3.4%",
            "1.2.3.4%eth0", "1.2.3.4%a\n", "1.2.3.4%\r", "1.2.3.4%%", "1.2.3.4/0", "1.2.3.4/32", "1.2.3.4/33", "1.2.3.4/01",
            "1.2.3.4/", "1.2.3.4/9", "1.2.3.4/10", "1.2.3.4/29", "1.2.3.4/30", "1.2.3.4/3", "1.2.3.4/320", "1.2.3.4/-1",
            "1..3.4", ".1.2.3", "1.2.3.4.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4\n", "9999.1.1.1", "1.2.3.4/32%x", "1.2.3.4%x/32",
            "199.249.250.255", "249.250.251.252", "2001:db8::1", "::", "a.b.c.d", "١.٢.٣.٤", "1.2.3.4/٣",
        ];
        foreach (var v in edges) Assert.True(regex.IsMatch(v) == matcher(v), $"\"{v}\": regex {regex.IsMatch(v)}, matcher {matcher(v)}");
        var rng = new Random(pattern.Length);
        const string alphabet = "0123456789012345678901234.../%:abfAF\n\r-";
        for (var i = 0; i < 200_000; i++)
        {
            string v;
            if (i % 2 == 0)
            {
                // A valid address or prefix, one character changed, inserted or removed.
                var a = $"{rng.Next(300)}.{rng.Next(260)}.{rng.Next(256)}.{rng.Next(256)}" + (rng.Next(3) switch { 0 => "", 1 => "/" + rng.Next(40), _ => "%" + (char)rng.Next(32, 127) });
                v = Mutated(a, rng, alphabet, kinds: 4); // the fourth kind leaves it as it is
            }
            else v = new string([.. Enumerable.Range(0, rng.Next(20)).Select(_ => alphabet[rng.Next(alphabet.Length)])]);
            Assert.True(regex.IsMatch(v) == matcher(v), $"\"{v}\": regex {regex.IsMatch(v)}, matcher {matcher(v)}");
        }
    }

    public static TheoryData<string> Ipv6Patterns() =>
        [.. ServedPatterns("ipv6-address", "ipv6-prefix", "ipv6-address-and-prefix").Distinct()];

    [Fact]
    public void The_served_ipv6_types_have_quick_tests()
    {
        Assert.Equal(4, Ipv6Patterns().Count);
        foreach (var p in ServedPatterns("ipv6-address", "ipv6-prefix", "ipv6-address-and-prefix")) Assert.NotNull(KnownPatterns.SufficientFor(p));
    }

    [Theory]
    [MemberData(nameof(Ipv6Patterns))]
    public void A_quick_yes_is_always_the_regex_answer(string pattern)
    {
        var quick = KnownPatterns.SufficientFor(pattern)!;
        var regex = XsdRegex.Compile(pattern);
        var prefix = pattern.Contains("(/"); // the prefix types' length part (an address's zone may hold a / too)
        var rng = new Random(pattern.Length);
        const string alphabet = "0123456789abcdefABCDEF:::::...//%x ";
        var yes = 0;
        for (var i = 0; i < 150_000; i++)
        {
            var groups = Enumerable.Range(0, 8).Select(_ => rng.Next(3) == 0 ? (ushort)rng.Next(65536) : rng.Next(2) == 0 ? (ushort)0 : (ushort)rng.Next(16)).ToArray();
            var hex = groups.Select(g => rng.Next(4) switch { 0 => g.ToString("X"), 1 => g.ToString("x4"), _ => g.ToString("x") }).ToArray();
            string v;
            switch (rng.Next(4))
            {
                case 0: v = string.Join(':', hex); break;
                case 1: v = string.Join(':', hex[..6]) + $":{rng.Next(260)}.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(256):D3}"; break;
                default:
                    var s = rng.Next(8);
                    var e = s + rng.Next(0, 8 - s + 1);
                    v = string.Join(':', hex[..s]) + "::" + string.Join(':', hex[e..]);
                    break;
            }
            if (prefix || rng.Next(4) == 0) v += "/" + rng.Next(140).ToString(rng.Next(5) == 0 ? "D3" : "D");
            if (rng.Next(3) == 0) v = Mutated(v, rng, alphabet, kinds: 3);
            if (!quick(v)) continue;
            yes++;
            Assert.True(regex.IsMatch(v), $"\"{v}\": the quick test says yes, the regex no");
        }
        Assert.True(yes > 30_000, $"{yes}"); // most valid spellings never reach the regex
    }

    // One character changed, inserted or removed (a kind drawn from the first `kinds` of those and "unchanged").
    private static string Mutated(string v, Random rng, string alphabet, int kinds)
    {
        var chars = v.ToList();
        var at = rng.Next(chars.Count + 1);
        switch (rng.Next(kinds))
        {
            case 0 when at < chars.Count: chars[at] = alphabet[rng.Next(alphabet.Length)]; break;
            case 1: chars.Insert(at, alphabet[rng.Next(alphabet.Length)]); break;
            case 2 when at < chars.Count: chars.RemoveAt(at); break;
        }
        return new string([.. chars]);
    }
}
