using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Types;

/// <summary>One spelling per value for the standard address types (RFC 6991, RFC 5952), so keys match.</summary>
public sealed class WellKnownStringTests
{
    private static readonly Lazy<SchemaContext> Context = new(() => SchemaContextBuilder.FromDirectory(Mgmt.Tests.Shared.RepoPaths.Yang));

    private static string Canonical(string module, string typedef, string value)
    {
        var type = Context.Value.GetModule(module)!.Typedefs[typedef];
        Assert.True(ValueParser.TryParse(type, value, null, out var canonical, out var error), error);
        return canonical;
    }

    [Theory]
    // RFC 5952 §4: leading zeros dropped, lower case, the longest run of zero fields compressed (the first of
    // equal runs), a single zero field not compressed.
    [InlineData("ipv6-address", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("ipv6-address", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("ipv6-address", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("ipv6-address", "0:0:0:0:0:0:0:1", "::1")]
    [InlineData("ipv6-address", "::FFFF:192.0.2.1", "::ffff:192.0.2.1")]
    [InlineData("ipv6-address", "FE80::1%Eth0", "fe80::1%Eth0")]
    [InlineData("ipv6-address-no-zone", "2001:DB8::0:1", "2001:db8::1")]
    [InlineData("ipv6-prefix", "2001:DB8:0:0::/64", "2001:db8::/64")]
    [InlineData("ipv4-address", "192.0.2.1", "192.0.2.1")]
    [InlineData("ip-address", "2001:DB8::1", "2001:db8::1")]
    public void Inet_addresses_have_one_spelling(string typedef, string value, string canonical) =>
        Assert.Equal(canonical, Canonical("ietf-inet-types", typedef, value));

    [Theory]
    [InlineData("ipv6-address", "2001:db8::1")]
    [InlineData("ipv6-address", "fe80::1%eth0")]
    [InlineData("ipv6-prefix", "2001:db8::/64")]
    public void A_value_given_canonical_is_kept_itself(string typedef, string value)
    {
        var given = new string(value.AsSpan()); // not the literal: a value as a reader makes it
        Assert.Same(given, Canonical("ietf-inet-types", typedef, given));
    }

    [Fact]
    public void Hardware_addresses_are_lower_case() =>
        Assert.Equal("00:1a:2b:3c:4d:5e", Canonical("ietf-yang-types", "mac-address", "00:1A:2B:3C:4D:5E"));

    [Fact]
    public void Two_spellings_of_one_address_are_one_list_key()
    {
        var doc = """
            <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
              <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
                <interface><name>eth0</name><type>ianaift:ethernetCsmacd</type>
                  <ipv6 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
                    <address><ip>2001:DB8::1</ip><prefix-length>64</prefix-length></address>
                    <address><ip>2001:db8:0::0:1</ip><prefix-length>64</prefix-length></address>
                  </ipv6></interface>
              </interfaces>
            </config>
            """;
        var e = Assert.Throws<DataException>(() => XmlDataReader.Parse(Context.Value, doc, new DataParseOptions(DataContent.Config)));
        Assert.Contains("duplicate", e.Errors[0].Message, StringComparison.Ordinal);
    }
}
