using CsCheck;
using Mgmt.Yang.Parsing;

namespace Mgmt.Yang.Tests.Parsing;

/// <summary>Any input ends in a statement tree or a YangException: never another exception or a hang.</summary>
public sealed class ParserFuzzTests
{
    private static readonly string Seed = File.ReadAllText(Path.Combine(CorpusLocator.Directory, "ietf-interfaces@2018-02-20.yang"));

    private static void ParseOrYangError(string text)
    {
        try
        {
            YangParser.Parse(text, "fuzz.yang");
        }
        catch (YangException)
        {
        }
    }

    [Fact]
    public void Random_text_from_yang_characters_never_escapes_as_another_exception()
    {
        var chars = Gen.Char["module{};\"'+/*\\ \n\tabc:x-1"];
        Gen.String[chars, 0, 200].Sample(ParseOrYangError, iter: 20_000);
    }

    [Fact]
    public void Mutations_of_a_real_module_never_escape_as_another_exception()
    {
        var gen = Gen.Select(Gen.Int[0, Seed.Length - 1], Gen.Int[1, 40], Gen.Char["{};\"'+/*\\ \nx"], Gen.Int[0, 2]);
        gen.Sample(t =>
        {
            var (pos, len, ch, mode) = t;
            len = Math.Min(len, Seed.Length - pos);
            var mutated = mode switch
            {
                0 => Seed.Remove(pos, len),
                1 => Seed.Insert(pos, new string(ch, len)),
                _ => Seed[..pos],
            };
            ParseOrYangError(mutated);
        }, iter: 3_000);
    }
}
