using Mgmt.Yang.Compilation;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Corpus;

/// <summary>
/// Every published module of the shared corpus compiles with its imports from that folder, with no
/// per-module flags; modules whose MANIFEST note says "expected: reject" are rejected with a located error.
/// </summary>
public sealed class CorpusCompileTests
{
    public static TheoryData<string, bool> Modules()
    {
        var data = new TheoryData<string, bool>();
        foreach (var (file, kind, note) in CorpusLocator.Manifest())
            if (kind == "module") data.Add(file, note.Contains("expected: reject", StringComparison.Ordinal));
        return data;
    }

    [Theory]
    [MemberData(nameof(Modules))]
    public void A_published_module_compiles_with_its_imports_or_is_rejected_as_the_manifest_expects(string file, bool expectReject)
    {
        var builder = new SchemaContextBuilder().AddSearchPath(CorpusLocator.Directory);
        if (expectReject)
        {
            var e = Assert.Throws<YangException>(() =>
            {
                builder.LoadFile(Path.Combine(CorpusLocator.Directory, file));
                builder.Build();
            });
            Assert.All(e.Diagnostics, d => Assert.True(d.Location.Line > 0, d.ToString()));
            return;
        }
        var module = builder.LoadFile(Path.Combine(CorpusLocator.Directory, file));
        var context = builder.Build();
        Assert.True(module.Implemented);
        Assert.Same(module, context.GetModule(module.Name));
        Assert.NotEqual("", module.Namespace);
        foreach (var top in module.TopLevel) Assert.Same(module, top.Module);
    }

    [Fact]
    public void The_whole_corpus_compiles_into_one_context()
    {
        var builder = new SchemaContextBuilder().AddSearchPath(CorpusLocator.Directory);
        foreach (var (file, kind, note) in CorpusLocator.Manifest())
            if (kind == "module" && !note.Contains("expected: reject", StringComparison.Ordinal))
                builder.LoadFile(Path.Combine(CorpusLocator.Directory, file));
        var context = builder.Build();
        Assert.True(context.Modules.Count >= 337);
        Assert.Contains(context.Root.DataChildren().ToArray(), n => n.Module.Name == "ietf-interfaces" && n.Name == "interfaces");
    }

    [Fact]
    public void Augments_from_other_modules_land_under_their_target_with_their_own_namespace()
    {
        var builder = new SchemaContextBuilder().AddSearchPath(CorpusLocator.Directory);
        builder.LoadModule("ietf-ip");
        var ctx = builder.Build();
        var ifs = ctx.GetModule("ietf-interfaces")!;
        var ip = ctx.GetModule("ietf-ip")!;
        var iface = ctx.Root.FindDataChild(ifs, "interfaces")!.FindDataChild(ifs, "interface")!;
        var ipv4 = iface.FindDataChild(ip, "ipv4");
        Assert.NotNull(ipv4);
        Assert.True(ifs.Implemented);
        Assert.Contains(ip, ifs.AugmentedBy);
        var address = (ListSchema)ipv4!.FindDataChild(ip, "address")!;
        Assert.Equal("ip", address.Keys.Single().Name);
        // prefix-length sits in choice "subnet", case "prefix-length": transparent for data lookups.
        var prefixLength = (LeafSchema)address.FindDataChild(ip, "prefix-length")!;
        Assert.Equal(SchemaNodeKind.Case, prefixLength.Parent!.Kind);
        Assert.Equal(BuiltinType.Uint8, prefixLength.Type.Kind);
        Assert.Equal("/ietf-interfaces:interfaces/interface/ietf-ip:ipv4/address/prefix-length", prefixLength.Path);
    }

    [Fact]
    public void Identity_defaults_from_import_only_modules_resolve()
    {
        // ietf-routing's default for address-family and similar defaults name identities of imported modules.
        var builder = new SchemaContextBuilder().AddSearchPath(CorpusLocator.Directory);
        builder.LoadModule("ietf-ipv4-unicast-routing");
        var ctx = builder.Build();
        var rt = ctx.GetModule("ietf-routing")!;
        Assert.True(rt.Implemented);
        var iana = ctx.GetModule("iana-if-type");
        Assert.True(ctx.GetModule("ietf-interfaces")!.Implemented);
        Assert.Null(iana); // not imported by this set of modules
    }
}
