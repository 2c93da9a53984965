using CsCheck;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;

namespace Mgmt.Yang.Tests.Encoding;

/// <summary>Random and mutated documents end in a tree or a DataException, never another exception or a hang.</summary>
public sealed class DecoderFuzzTests
{
    private static readonly string XmlSeed = File.ReadAllText(Path.Combine(CorpusLocator.RepoRoot, "tests", "Yang.Tests", "Encoding", "docs", "interfaces.xml"));

    private static readonly string JsonSeed = JsonDataWriter.ToString(
        XmlDataReader.Parse(RoundTripTests.Served.Value, XmlSeed, new DataParseOptions(DataContent.Config)));

    private static readonly Gen<(int, int, char, int)> Mutation =
        Gen.Select(Gen.Int[0, 10_000], Gen.Int[1, 30], Gen.Char["<>/\"':{}[],0aZ \n&;"], Gen.Int[0, 2]);

    private static string Mutate(string seed, (int Pos, int Len, char Ch, int Mode) m)
    {
        var pos = m.Pos % seed.Length;
        var len = Math.Min(m.Len, seed.Length - pos);
        return m.Mode switch
        {
            0 => seed.Remove(pos, len),
            1 => seed.Insert(pos, new string(m.Ch, len)),
            _ => seed[..pos],
        };
    }

    [Fact]
    public void Mutated_xml_never_escapes_as_another_exception() =>
        Mutation.Sample(m =>
        {
            try { XmlDataReader.Parse(RoundTripTests.Served.Value, Mutate(XmlSeed, m)); }
            catch (DataException) { }
        }, iter: 3000);

    [Fact]
    public void Mutated_json_never_escapes_as_another_exception() =>
        Mutation.Sample(m =>
        {
            try { JsonDataReader.Parse(RoundTripTests.Served.Value, Mutate(JsonSeed, m)); }
            catch (DataException) { }
        }, iter: 3000);

    [Fact]
    public void Deeply_nested_input_is_refused_not_overflowing_the_stack()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100_000));
        Assert.Throws<DataException>(() => XmlDataReader.Parse(RoundTripTests.Served.Value, deep));
        var deepJson = string.Concat(Enumerable.Repeat("{\"a\":", 100_000));
        Assert.Throws<DataException>(() => JsonDataReader.Parse(RoundTripTests.Served.Value, deepJson));
    }

    [Fact]
    public void Dtds_and_entities_are_refused()
    {
        var xml = "<!DOCTYPE x [<!ENTITY e \"boom\">]><interfaces xmlns=\"urn:ietf:params:xml:ns:yang:ietf-interfaces\"/>";
        var e = Assert.Throws<DataException>(() => XmlDataReader.Parse(RoundTripTests.Served.Value, xml));
        Assert.Equal(ErrorTag.MalformedMessage, e.Errors[0].Tag);
    }
}
