using Mgmt.Yang.Compilation;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;
using Mgmt.Yang.Schema;

namespace Mgmt.Yang.Tests.Editing;

/// <summary>A small module exercising lists, ordered-by user, choices, defaults, unique and leafrefs.</summary>
internal static class TestSchema
{
    public const string Ns = "urn:t:ed";

    public static readonly Lazy<SchemaContext> Context = new(() =>
    {
        var b = new SchemaContextBuilder();
        b.LoadText("""
            module ed {
              yang-version 1.1;
              namespace "urn:t:ed";
              prefix ed;
              container top {
                leaf name { type string; default "unnamed"; }
                leaf-list tags { type string; ordered-by user; }
                list item {
                  key id;
                  ordered-by user;
                  unique "label";
                  leaf id { type uint16; }
                  leaf label { type string; }
                  leaf ref { type leafref { path "/ed:top/ed:item/ed:id"; } }
                }
                choice transport {
                  case tcp { leaf tcp-port { type uint16; } }
                  case udp { leaf udp-port { type uint16; } }
                }
                leaf must-have { type string; mandatory true; }
                list bounded { key k; max-elements 2; leaf k { type string; } }
              }
            }
            """, "ed.yang");
        return b.Build();
    });

    public static DataRoot Config(string innerXml) =>
        XmlDataReader.Parse(Context.Value, $"<top xmlns=\"{Ns}\">{innerXml}</top>", new DataParseOptions(DataContent.Config));

    public static DataRoot Edit(string innerXml) =>
        XmlDataReader.Parse(Context.Value, $"<top xmlns=\"{Ns}\" xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" xmlns:yang=\"urn:ietf:params:xml:ns:yang:1\">{innerXml}</top>",
            new DataParseOptions(DataContent.Edit));

    public static string Xml(DataRoot t) => XmlDataWriter.ToString(t, new DataWriteOptions(Indent: false));
}
