using System.Globalization;
using Mgmt.Yang.Parsing;
using Mgmt.Yang.Schema;
using Mgmt.Yang.XPath;

namespace Mgmt.Yang.Compilation;

internal sealed partial class Compiler
{
    private static readonly Dictionary<string, BuiltinType> BuiltinNames = new(StringComparer.Ordinal)
    {
        ["int8"] = BuiltinType.Int8, ["int16"] = BuiltinType.Int16, ["int32"] = BuiltinType.Int32, ["int64"] = BuiltinType.Int64,
        ["uint8"] = BuiltinType.Uint8, ["uint16"] = BuiltinType.Uint16, ["uint32"] = BuiltinType.Uint32, ["uint64"] = BuiltinType.Uint64,
        ["decimal64"] = BuiltinType.Decimal64, ["string"] = BuiltinType.String, ["boolean"] = BuiltinType.Boolean,
        ["enumeration"] = BuiltinType.Enumeration, ["bits"] = BuiltinType.Bits, ["binary"] = BuiltinType.Binary,
        ["leafref"] = BuiltinType.Leafref, ["identityref"] = BuiltinType.Identityref, ["empty"] = BuiltinType.Empty,
        ["union"] = BuiltinType.Union, ["instance-identifier"] = BuiltinType.InstanceIdentifier,
    };

    private static readonly Dictionary<BuiltinType, YangType> PlainBuiltins = CreatePlainBuiltins();

    private static Dictionary<BuiltinType, YangType> CreatePlainBuiltins()
    {
        var d = new Dictionary<BuiltinType, YangType>();
        foreach (var (name, kind) in BuiltinNames) d[kind] = new YangType(kind, name);
        return d;
    }

    private readonly Dictionary<Statement, YangType> _typedefCache = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Statement> _typedefInProgress = new(ReferenceEqualityComparer.Instance);

    /// <summary>Leafref types waiting for their target (resolved once the whole schema exists), with the node that uses them.</summary>
    private readonly List<(YangType Type, SchemaNode Node, Statement At)> _leafrefs = [];

    private void CompileTypedefs(ModuleSource src)
    {
        foreach (var file in _filesOf[src.Module])
        {
            foreach (var s in file.Root.FindAll("typedef"))
            {
                var name = s.Argument ?? "";
                if (BuiltinNames.ContainsKey(name))
                {
                    Error(s, $"typedef \"{name}\" uses the name of a built-in type");
                    continue;
                }
                var t = CompileTypedef(s);
                if (t is not null && !src.Module.Typedefs.TryAdd(name, t)) Error(s, $"duplicate typedef \"{name}\"");
            }
        }
    }

    private YangType? CompileTypedef(Statement typedef)
    {
        if (_typedefCache.TryGetValue(typedef, out var cached)) return cached;
        if (!_typedefInProgress.Add(typedef))
        {
            Error(typedef, $"typedef \"{typedef.Argument}\" refers to itself (circular type definition)");
            return null;
        }
        try
        {
            var typeStmt = typedef.Find("type");
            if (typeStmt is null)
            {
                Error(typedef, $"typedef \"{typedef.Argument}\" has no type");
                return null;
            }
            var baseType = CompileType(typeStmt, null);
            var t = new YangType(baseType.Kind, typedef.Argument ?? "")
            {
                TypedefModule = SourceOf(typedef).Module,
                BaseType = baseType,
                Location = typedef.Location,
            };
            CopyRestrictions(baseType, t);
            t.Units = typedef.ArgOf("units") ?? baseType.Units;
            var def = typedef.Find("default");
            t.Default = baseType.Default;
            if (def is not null)
            {
                if (ValueParser.TryParse(t, def.Argument ?? "", PrefixesOf(def), out var canonical, out var error))
                    t.Default = canonical;
                else if (t.Kind != BuiltinType.Leafref)
                    Error(def, $"invalid default value \"{def.Argument}\" of typedef \"{typedef.Argument}\": {error}");
            }
            _typedefCache[typedef] = t;
            return t;
        }
        finally
        {
            _typedefInProgress.Remove(typedef);
        }
    }

    private static void CopyRestrictions(YangType from, YangType to)
    {
        to.Range = from.Range;
        to.Length = from.Length;
        to.Patterns = from.Patterns;
        to.Enums = from.Enums;
        to.Bits = from.Bits;
        to.FractionDigits = from.FractionDigits;
        to.LeafrefPath = from.LeafrefPath;
        to.LeafrefPathText = from.LeafrefPathText;
        to.RequireInstance = from.RequireInstance;
        to.IdentityBases = from.IdentityBases;
        to.UnionMembers = from.UnionMembers;
    }

    /// <summary>Finds the typedef statement that <c>[prefix:]name</c> names from <paramref name="from"/> (lexical scope, RFC 7950 §5.5).</summary>
    private Statement? FindTypedefStatement(Statement from, string? prefix, string name)
    {
        var own = SourceOf(from).Module;
        var module = ModuleForPrefix(from, prefix);
        if (module is null) return null;
        if (ReferenceEquals(module, own))
        {
            for (var a = from.Parent; a is not null; a = a.Parent)
            {
                if (a.Parent is null) break; // module level handled below, across submodules
                foreach (var c in a.Children)
                    if (!c.IsExtension && c.Keyword == "typedef" && c.Argument == name) return c;
            }
        }
        return TopLevelDefinition(module, "typedef", name);
    }

    private readonly Dictionary<(YangModule, string, string), Statement> _topLevelDefinitions = [];
    private readonly HashSet<YangModule> _topLevelIndexed = new(ReferenceEqualityComparer.Instance);

    /// <summary>A module-level typedef or grouping (module and submodules) by name, through an index built once per module.</summary>
    private Statement? TopLevelDefinition(YangModule module, string keyword, string name)
    {
        if (_topLevelIndexed.Add(module))
        {
            foreach (var file in _filesOf[module])
                foreach (var c in file.Root.Children)
                    if (!c.IsExtension && c.Keyword is "typedef" or "grouping" && c.Argument is { } n)
                        _topLevelDefinitions.TryAdd((module, c.Keyword, n), c);
        }
        return _topLevelDefinitions.GetValueOrDefault((module, keyword, name));
    }

    /// <summary>Compiles a type statement; <paramref name="node"/> is the leaf or leaf-list it belongs to (for leafref resolution).</summary>
    private YangType CompileType(Statement typeStmt, SchemaNode? node)
    {
        var (prefix, name) = SplitQName(typeStmt.Argument ?? "");
        YangType baseType;
        var isBuiltin = prefix is null && BuiltinNames.TryGetValue(name, out var builtinKind);
        if (isBuiltin)
        {
            baseType = PlainBuiltins[BuiltinNames[name]];
        }
        else
        {
            if (prefix is not null && ModuleForPrefix(typeStmt, prefix) is null)
            {
                Error(typeStmt, $"unknown prefix \"{prefix}\" in type \"{typeStmt.Argument}\"");
                return PlainBuiltins[BuiltinType.String];
            }
            var td = FindTypedefStatement(typeStmt, prefix, name);
            if (td is null)
            {
                Error(typeStmt, $"type \"{typeStmt.Argument}\" not found");
                return PlainBuiltins[BuiltinType.String];
            }
            var compiled = CompileTypedef(td);
            if (compiled is null) return PlainBuiltins[BuiltinType.String];
            baseType = compiled;
        }

        if (!HasRestrictions(typeStmt))
        {
            if (isBuiltin) CheckBuiltinRequirements(typeStmt, baseType);
            if (baseType.Kind == BuiltinType.Leafref && node is not null) _leafrefs.Add((baseType, node, typeStmt));
            return baseType;
        }

        var t = new YangType(baseType.Kind, isBuiltin ? name : baseType.Name)
        {
            TypedefModule = baseType.TypedefModule,
            BaseType = isBuiltin ? null : baseType,
            Location = typeStmt.Location,
            Units = baseType.Units,
            Default = baseType.Default,
        };
        CopyRestrictions(baseType, t);
        ApplyRestrictions(typeStmt, t, baseType, isBuiltin, node);
        if (t.Kind == BuiltinType.Leafref && node is not null) _leafrefs.Add((t, node, typeStmt));
        return t;
    }

    private static bool HasRestrictions(Statement typeStmt)
    {
        foreach (var c in typeStmt.Children)
            if (!c.IsExtension && c.Keyword is not ("description" or "reference")) return true;
        return false;
    }

    private void CheckBuiltinRequirements(Statement typeStmt, YangType t)
    {
        switch (t.Kind)
        {
            case BuiltinType.Decimal64: Error(typeStmt, "type decimal64 requires a fraction-digits statement"); break;
            case BuiltinType.Enumeration: Error(typeStmt, "type enumeration requires at least one enum"); break;
            case BuiltinType.Bits: Error(typeStmt, "type bits requires at least one bit"); break;
            case BuiltinType.Leafref: Error(typeStmt, "type leafref requires a path statement"); break;
            case BuiltinType.Identityref: Error(typeStmt, "type identityref requires a base statement"); break;
            case BuiltinType.Union: Error(typeStmt, "type union requires member types"); break;
        }
    }

    private void ApplyRestrictions(Statement typeStmt, YangType t, YangType baseType, bool isBuiltin, SchemaNode? node)
    {
        var kind = t.Kind;
        // Made when a restriction needs them: every leaf's type comes through here, most with none.
        List<PatternRestriction>? patterns = null;
        List<EnumMember>? enums = null;
        List<BitMember>? bits = null;
        DefinedMembers? defined = null;
        List<Identity>? bases = null;
        List<YangType>? members = null;
        var sawFraction = false;
        foreach (var c in typeStmt.Children)
        {
            if (c.IsExtension) continue;
            switch (c.Keyword)
            {
                case "description" or "reference":
                    break;
                case "range":
                    if (!IsNumeric(kind)) { Error(c, $"range is not allowed for type {baseType.Name} (only for numeric types)"); break; }
                    t.Range = ParseRangeSet(c, kind, baseType.Range, t.FractionDigits, isLength: false) ?? t.Range;
                    break;
                case "length":
                    if (kind is not (BuiltinType.String or BuiltinType.Binary)) { Error(c, $"length is not allowed for type {baseType.Name}"); break; }
                    t.Length = ParseRangeSet(c, kind, baseType.Length, 0, isLength: true) ?? t.Length;
                    break;
                case "pattern":
                    if (kind != BuiltinType.String) { Error(c, $"pattern is not allowed for type {baseType.Name}"); break; }
                    if (!XsdRegex.TryTranslate(c.Argument ?? "", out var dotnet, out var perr))
                    {
                        Error(c, $"invalid pattern \"{c.Argument}\": {perr}");
                        break;
                    }
                    (patterns ??= [.. t.Patterns]).Add(new PatternRestriction(c.Argument ?? "", dotnet, c.Find("modifier")?.Argument == "invert-match",
                        c.ArgOf("error-message"), c.ArgOf("error-app-tag")));
                    break;
                case "fraction-digits":
                    sawFraction = true;
                    if (kind != BuiltinType.Decimal64 || !isBuiltin) { Error(c, "fraction-digits is only allowed on the built-in decimal64 type"); break; }
                    if (!int.TryParse(c.Argument, NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd < 1 || fd > 18)
                    {
                        Error(c, $"fraction-digits \"{c.Argument}\" out of range 1..18");
                        break;
                    }
                    t.FractionDigits = fd;
                    break;
                case "enum":
                    if (kind != BuiltinType.Enumeration) { Error(c, $"enum is not allowed for type {baseType.Name}"); break; }
                    AddEnum(c, enums ??= [], defined ??= new(), baseType, isBuiltin);
                    break;
                case "bit":
                    if (kind != BuiltinType.Bits) { Error(c, $"bit is not allowed for type {baseType.Name}"); break; }
                    AddBit(c, bits ??= [], defined ??= new(), baseType, isBuiltin);
                    break;
                case "path":
                    if (kind != BuiltinType.Leafref || !isBuiltin) { Error(c, "path is only allowed on the built-in leafref type"); break; }
                    t.LeafrefPathText = c.Argument;
                    t.LeafrefPath = LeafrefPath.Parse(c.Argument ?? "", PrefixesOf(c), out var lerr);
                    if (t.LeafrefPath is null) Error(c, $"invalid leafref path \"{c.Argument}\": {lerr}");
                    break;
                case "require-instance":
                    if (kind is not (BuiltinType.Leafref or BuiltinType.InstanceIdentifier)) { Error(c, $"require-instance is not allowed for type {baseType.Name}"); break; }
                    if (c.Argument is not ("true" or "false")) { Error(c, $"invalid require-instance value \"{c.Argument}\""); break; }
                    t.RequireInstance = c.Argument == "true";
                    break;
                case "base":
                    if (kind != BuiltinType.Identityref) { Error(c, $"base is not allowed for type {baseType.Name}"); break; }
                    if (!isBuiltin) { Error(c, "base is only allowed on the built-in identityref type"); break; }
                    var id = ResolveIdentity(c, c.Argument ?? "");
                    if (id is null) Error(c, $"base identity \"{c.Argument}\" not found");
                    else (bases ??= []).Add(id);
                    break;
                case "type":
                    if (kind != BuiltinType.Union || !isBuiltin) { Error(c, "member types are only allowed on the built-in union type"); break; }
                    var member = CompileType(c, node);
                    if (member.Kind is BuiltinType.Empty or BuiltinType.Leafref && SourceOf(c).Module.YangVersion != "1.1")
                        Error(c, $"a union member of type {member.Name} requires YANG 1.1");
                    (members ??= []).Add(member);
                    break;
                default:
                    Error(c, $"unexpected statement \"{c.Keyword}\" in type");
                    break;
            }
        }
        if (patterns is not null) t.Patterns = patterns; // else the inherited ones, shared (read-only)
        if (enums is { Count: > 0 }) t.Enums = enums;
        if (bits is { Count: > 0 }) t.Bits = bits;
        if (bases is { Count: > 0 }) t.IdentityBases = bases;
        if (members is { Count: > 0 }) t.UnionMembers = members;
        if (isBuiltin)
        {
            if (kind == BuiltinType.Decimal64 && !sawFraction) Error(typeStmt, "type decimal64 requires a fraction-digits statement");
            if (kind == BuiltinType.Decimal64 && t.Range is not null && t.FractionDigits > 0)
                t.Range = ParseRangeSet(typeStmt.Find("range")!, kind, null, t.FractionDigits, isLength: false);
            if (kind == BuiltinType.Enumeration && enums is not { Count: > 0 }) Error(typeStmt, "type enumeration requires at least one enum");
            if (kind == BuiltinType.Bits && bits is not { Count: > 0 }) Error(typeStmt, "type bits requires at least one bit");
            if (kind == BuiltinType.Leafref && t.LeafrefPathText is null) Error(typeStmt, "type leafref requires a path statement");
            if (kind == BuiltinType.Identityref && bases is not { Count: > 0 }) Error(typeStmt, "type identityref requires a base statement");
            if (kind == BuiltinType.Union && members is not { Count: > 0 }) Error(typeStmt, "type union requires member types");
        }
    }

    private static bool IsNumeric(BuiltinType k) => k <= BuiltinType.Decimal64;

    // The enums or bits one type statement defined so far, for its checks in constant time (a type may have
    // thousands), and the base type's by name.
    private sealed class DefinedMembers
    {
        public readonly HashSet<string> Names = new(StringComparer.Ordinal);
        public readonly HashSet<long> Values = [];
        public long Max = -1;
        public Dictionary<string, EnumMember>? BaseEnums;
        public Dictionary<string, BitMember>? BaseBits;

        public void Added(string name, long value)
        {
            Names.Add(name);
            Values.Add(value);
            Max = Math.Max(Max, value);
        }
    }

    private void AddEnum(Statement c, List<EnumMember> enums, DefinedMembers defined, YangType baseType, bool isBuiltin)
    {
        var name = c.Argument ?? "";
        if (name.Length == 0 || name != name.Trim()) { Error(c, $"invalid enum name \"{name}\""); return; }
        if (defined.Names.Contains(name)) { Error(c, $"duplicate enum \"{name}\""); return; }
        if (!IfFeaturesHold(c)) return;
        int value;
        var v = c.Find("value");
        if (!isBuiltin)
        {
            defined.BaseEnums ??= ByName(baseType.Enums, e => e.Name);
            var inherited = defined.BaseEnums.GetValueOrDefault(name);
            if (inherited is null) { Error(c, $"enum \"{name}\" is not defined in the base type {baseType.Name}"); return; }
            value = inherited.Value;
            if (v is not null && v.Argument != value.ToString(CultureInfo.InvariantCulture))
            {
                Error(v, $"enum \"{name}\" must keep the value {value} of the base type");
                return;
            }
        }
        else if (v is not null)
        {
            if (!int.TryParse(v.Argument, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                Error(v, $"invalid enum value \"{v.Argument}\"");
                return;
            }
        }
        else
        {
            if (defined.Max >= int.MaxValue) { Error(c, $"enum \"{name}\" needs an explicit value: the next automatic one exceeds 2147483647"); return; }
            value = (int)(defined.Max + 1);
        }
        if (defined.Values.Contains(value)) { Error(v ?? c, $"duplicate enum value {value}"); return; }
        enums.Add(new EnumMember(name, value, ParseStatus(c)));
        defined.Added(name, value);
    }

    // Members by name, the first of a name kept.
    private static Dictionary<string, T> ByName<T>(IEnumerable<T> members, Func<T, string> name)
    {
        var byName = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var m in members) byName.TryAdd(name(m), m);
        return byName;
    }

    private void AddBit(Statement c, List<BitMember> bits, DefinedMembers defined, YangType baseType, bool isBuiltin)
    {
        var name = c.Argument ?? "";
        if (defined.Names.Contains(name)) { Error(c, $"duplicate bit \"{name}\""); return; }
        if (!IfFeaturesHold(c)) return;
        uint pos;
        var p = c.Find("position");
        if (!isBuiltin)
        {
            defined.BaseBits ??= ByName(baseType.Bits, b => b.Name);
            var inherited = defined.BaseBits.GetValueOrDefault(name);
            if (inherited is null) { Error(c, $"bit \"{name}\" is not defined in the base type {baseType.Name}"); return; }
            pos = inherited.Position;
        }
        else if (p is not null)
        {
            if (!uint.TryParse(p.Argument, NumberStyles.None, CultureInfo.InvariantCulture, out pos))
            {
                Error(p, $"invalid bit position \"{p.Argument}\"");
                return;
            }
        }
        else
        {
            if (defined.Max >= uint.MaxValue) { Error(c, "bit position overflow"); return; }
            pos = (uint)(defined.Max + 1);
        }
        if (defined.Values.Contains(pos)) { Error(p ?? c, $"duplicate bit position {pos}"); return; }
        bits.Add(new BitMember(name, pos, ParseStatus(c)));
        defined.Added(name, pos);
    }

    /// <summary>Parses a range or length expression; each part must lie within the base restriction (RFC 7950 §9.2.5, §9.4.4).</summary>
    private RangeSet? ParseRangeSet(Statement c, BuiltinType kind, RangeSet? baseSet, int fractionDigits, bool isLength)
    {
        var text = c.Argument ?? "";
        var (lo, hi) = isLength ? (0m, (decimal)ulong.MaxValue) : TypeBounds.Of(kind, fractionDigits);
        if (baseSet is { Intervals.Count: > 0 })
        {
            lo = baseSet.Intervals[0].Min;
            hi = baseSet.Intervals[^1].Max;
        }
        var intervals = new List<RangeInterval>();
        foreach (var rawPart in text.Split('|'))
        {
            var part = rawPart.Trim();
            var dots = part.IndexOf("..", StringComparison.Ordinal);
            string a, b;
            if (dots < 0) a = b = part;
            else { a = part[..dots].Trim(); b = part[(dots + 2)..].Trim(); }
            if (!TryBound(a, lo, hi, kind, isLength, out var min) || !TryBound(b, lo, hi, kind, isLength, out var max))
            {
                Error(c, $"invalid {(isLength ? "length" : "range")} \"{text}\": bad bound in \"{part}\"");
                return null;
            }
            if (min > max)
            {
                Error(c, $"invalid {(isLength ? "length" : "range")} \"{text}\": {a} is greater than {b}");
                return null;
            }
            if (intervals.Count > 0 && min <= intervals[^1].Max)
            {
                Error(c, $"invalid {(isLength ? "length" : "range")} \"{text}\": parts must be disjoint and in ascending order");
                return null;
            }
            intervals.Add(new RangeInterval(min, max));
        }
        foreach (var i in intervals)
        {
            var inside = baseSet is null ? i.Min >= lo && i.Max <= hi : IsWithin(i, baseSet);
            if (!inside)
            {
                Error(c, $"{(isLength ? "length" : "range")} \"{text}\" is not within the base type's {(isLength ? "length" : "range")}");
                return null;
            }
        }
        return new RangeSet(intervals, text, c.ArgOf("error-message"), c.ArgOf("error-app-tag"));
    }

    private static bool IsWithin(RangeInterval i, RangeSet set)
    {
        foreach (var b in set.Intervals)
            if (i.Min >= b.Min && i.Max <= b.Max) return true;
        return false;
    }

    private static bool TryBound(string s, decimal lo, decimal hi, BuiltinType kind, bool isLength, out decimal value)
    {
        value = 0;
        if (s == "min") { value = lo; return true; }
        if (s == "max") { value = hi; return true; }
        if (s.Length == 0) return false;
        var integral = isLength || kind != BuiltinType.Decimal64;
        var styles = integral ? NumberStyles.AllowLeadingSign : NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;
        return decimal.TryParse(s, styles, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>Value spaces of the numeric built-in types.</summary>
internal static class TypeBounds
{
    public static (decimal Min, decimal Max) Of(BuiltinType kind, int fractionDigits) => kind switch
    {
        BuiltinType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        BuiltinType.Int16 => (short.MinValue, short.MaxValue),
        BuiltinType.Int32 => (int.MinValue, int.MaxValue),
        BuiltinType.Int64 => (long.MinValue, long.MaxValue),
        BuiltinType.Uint8 => (0, byte.MaxValue),
        BuiltinType.Uint16 => (0, ushort.MaxValue),
        BuiltinType.Uint32 => (0, uint.MaxValue),
        BuiltinType.Uint64 => (0, ulong.MaxValue),
        BuiltinType.Decimal64 => (long.MinValue / Pow10(fractionDigits), long.MaxValue / Pow10(fractionDigits)),
        _ => (0, 0),
    };

    public static decimal Pow10(int n)
    {
        var r = 1m;
        for (var i = 0; i < n; i++) r *= 10;
        return r;
    }
}
