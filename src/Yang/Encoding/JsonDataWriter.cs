using System.Text.Json;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Encoding;

/// <summary>Writes data trees as RFC 7951 JSON, with the same ordering and with-defaults rules as the XML writer.</summary>
public static class JsonDataWriter
{
    public static string ToString(DataInner tree, DataWriteOptions? o = null)
    {
        using var ms = new MemoryStream();
        Write(tree, ms, o);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public static void Write(DataInner tree, TextWriter w, DataWriteOptions? o = null) => w.Write(ToString(tree, o));

    public static void Write(DataInner tree, Stream s, DataWriteOptions? o = null)
    {
        o ??= new DataWriteOptions();
        using var j = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = o.Indent, SkipValidation = false });
        if (tree is DataRoot)
        {
            j.WriteStartObject();
            WriteMembers(j, tree, null, o);
            j.WriteEndObject();
        }
        else
        {
            j.WriteStartObject();
            WriteMembers(j, [tree], null, o);
            j.WriteEndObject();
        }
    }

    private static void WriteMembers(Utf8JsonWriter j, DataInner parent, YangModule? parentModule, DataWriteOptions o) =>
        WriteMembers(j, XmlDataWriter.Ordered(parent), parentModule, o);

    /// <summary>Groups the entries of one list or leaf-list into one JSON array (they are adjacent after ordering).</summary>
    private static void WriteMembers(Utf8JsonWriter j, IEnumerable<DataNode> children, YangModule? parentModule, DataWriteOptions o)
    {
        var list = children as IReadOnlyList<DataNode> ?? children.ToList();
        var i = 0;
        while (i < list.Count)
        {
            var n = list[i];
            var schema = n.Schema;
            var end = i + 1;
            if (schema.Kind is SchemaNodeKind.List or SchemaNodeKind.LeafList)
                while (end < list.Count && ReferenceEquals(list[end].Schema, schema)) end++;
            var visible = new List<DataNode>(end - i);
            for (var k = i; k < end; k++)
                if (XmlDataWriter.Visible(list[k], o)) visible.Add(list[k]);
            i = end;
            if (visible.Count == 0) continue;
            var name = ReferenceEquals(schema.Module, parentModule) ? schema.Name : schema.Module.Name + ":" + schema.Name;
            j.WritePropertyName(name);
            switch (schema.Kind)
            {
                case SchemaNodeKind.Leaf:
                    WriteLeafValue(j, (DataLeaf)visible[0]);
                    if (o.WithDefaults == WithDefaultsMode.ReportAllTagged && XmlDataWriter.IsDefaultValue((DataLeaf)visible[0]))
                    {
                        j.WritePropertyName("@" + name);
                        j.WriteStartObject();
                        j.WriteBoolean("ietf-netconf-with-defaults:default", true);
                        j.WriteEndObject();
                    }
                    break;
                case SchemaNodeKind.LeafList:
                    j.WriteStartArray();
                    foreach (var v in visible) WriteLeafValue(j, (DataLeaf)v);
                    j.WriteEndArray();
                    break;
                case SchemaNodeKind.List:
                    j.WriteStartArray();
                    foreach (var e in visible)
                    {
                        j.WriteStartObject();
                        WriteMembers(j, (DataInner)e, schema.Module, o);
                        j.WriteEndObject();
                    }
                    j.WriteEndArray();
                    break;
                case SchemaNodeKind.AnyData or SchemaNodeKind.AnyXml:
                    var any = ((DataAny)visible[0]).Value;
                    if (any.Json is { } json) j.WriteRawValue(json);
                    else j.WriteStringValue(any.Xml ?? "");
                    break;
                default:
                    j.WriteStartObject();
                    WriteMembers(j, (DataInner)visible[0], schema.Module, o);
                    j.WriteEndObject();
                    break;
            }
        }
    }

    private static void WriteLeafValue(Utf8JsonWriter j, DataLeaf leaf)
    {
        var type = leaf.Type;
        switch (JsonKind(type, leaf.Value))
        {
            case BuiltinType.Int8 or BuiltinType.Int16 or BuiltinType.Int32 or BuiltinType.Uint8 or BuiltinType.Uint16 or BuiltinType.Uint32:
                j.WriteRawValue(leaf.Value);
                break;
            case BuiltinType.Boolean:
                j.WriteBooleanValue(leaf.Value == "true");
                break;
            case BuiltinType.Empty:
                j.WriteStartArray();
                j.WriteNullValue();
                j.WriteEndArray();
                break;
            default:
                j.WriteStringValue(leaf.Value);
                break;
        }
    }

    /// <summary>The built-in type that decides the JSON encoding of a value (unions: the first member accepting it).</summary>
    private static BuiltinType JsonKind(YangType type, string value)
    {
        switch (type.Kind)
        {
            case BuiltinType.Union:
                foreach (var m in type.UnionMembers)
                    if (ValueParser.TryParse(m, value, null, out _, out _) || m.Kind is BuiltinType.Identityref or BuiltinType.InstanceIdentifier && value.Contains(':'))
                        return JsonKind(m, value);
                return BuiltinType.String;
            case BuiltinType.Leafref:
                return type.LeafrefTarget switch
                {
                    LeafSchema l => JsonKind(l.Type, value),
                    LeafListSchema ll => JsonKind(ll.Type, value),
                    _ => BuiltinType.String,
                };
            default:
                return type.Kind;
        }
    }
}
