using System.Xml;
using System.Xml.Linq;
using Mgmt.Datastore;
using Mgmt.Datastore.Transactions;
using Mgmt.Yang.Data;
using Mgmt.Yang.Encoding;

namespace Mgmt.Northbound.Netconf;

/// <summary>The RFC 6241 operations; each parses its parameters strictly and calls the shared datastore core.</summary>
internal sealed partial class NetconfSession
{
    private static readonly XNamespace Nc = NetconfNames.BaseNs;

    private Action<XmlWriter> Dispatch(XElement op)
    {
        if (op.Name == XName.Get("create-subscription", NetconfNotifications.NotificationNs))
        {
            if (!server.Datastores.Nacm.MayExec(Info, "notifications", "create-subscription"))
                throw new DataException(new DataError(ErrorTag.AccessDenied, null, $"access denied: {Info.User} may not subscribe", Type: ErrorType.Protocol));
            CreateSubscription(op);
            return Ok;
        }
        if (op.Name == XName.Get("get-schema", NetconfNames.MonitoringNs)) return GetSchema(op);
        if (op.Name.NamespaceName == NmdaNs)
        {
            if (!server.Datastores.Nacm.MayExec(Info, "ietf-netconf-nmda", op.Name.LocalName))
                throw new DataException(new DataError(ErrorTag.AccessDenied, null, $"access denied: {Info.User} may not run {op.Name.LocalName}", Type: ErrorType.Protocol));
            switch (op.Name.LocalName)
            {
                case "get-data":
                    return GetData(op);
                case "edit-data":
                    EditData(op);
                    return Ok;
            }
        }
        if (op.Name == XName.Get("action", NetconfNames.YangNs)) return InvokeAction(op);
        if (op.Name.Namespace != Nc) return InvokeModuleRpc(op);
        var ds = server.Datastores;
        // RFC 8341 §3.4.4: the operation itself; kill-session and delete-config are default-deny-all in ietf-netconf.
        if (!ds.Nacm.MayExec(Info, "ietf-netconf", op.Name.LocalName, op.Name.LocalName is "kill-session" or "delete-config"))
            throw new DataException(new DataError(ErrorTag.AccessDenied, null, $"access denied: {Info.User} may not run {op.Name.LocalName}", Type: ErrorType.Protocol));
        switch (op.Name.LocalName)
        {
            case "get":
                return Data(ds.ReadOperational(Info, t => Select(t, op)), WithDefaults(op));
            case "get-config":
            {
                var source = Datastore(op, "source");
                var mode = WithDefaults(op);
                return Data(ds.ReadFor(Info, source, t => Select(t, op), ReportsDefaults(mode)), mode);
            }
            case "edit-config":
                EditConfig(op);
                return Ok;
            case "copy-config":
            {
                var target = Datastore(op, "target");
                var source = Child(op, "source");
                if (source.Element(Nc + "config") is { } inline) ds.Copy(Info, ParseConfig(inline, DataContent.Config), target);
                else ds.Copy(Info, Datastore(op, "source"), target);
                return Ok;
            }
            case "delete-config":
                ds.Delete(Info, Datastore(op, "target"));
                return Ok;
            case "lock":
                ds.Lock(Info, Datastore(op, "target"));
                return Ok;
            case "unlock":
                ds.Unlock(Info, Datastore(op, "target"));
                return Ok;
            case "validate":
            {
                var source = Child(op, "source");
                var errors = source.Element(Nc + "config") is { } inline
                    ? ds.Validate(ParseConfig(inline, DataContent.Config))
                    : ds.Validate(Datastore(op, "source"));
                if (errors.Count > 0) throw new DataException(errors);
                return Ok;
            }
            case "commit":
                Commit(op);
                return Ok;
            case "cancel-commit":
                ds.CancelCommit(Info, Text(op, "persist-id"));
                return Ok;
            case "discard-changes":
                ds.DiscardChanges(Info);
                return Ok;
            case "close-session":
                _closing = true;
                EndReason = Mgmt.Datastore.Notifications.TerminationReason.Closed;
                return Ok;
            case "kill-session":
                KillSession(op);
                return Ok;
            default:
                throw RpcErrors.Protocol(ErrorTag.OperationNotSupported, $"operation {op.Name.LocalName} is not supported", op.Name.LocalName);
        }
    }

    /// <summary>An rpc of a loaded YANG module (RFC 7950 §7.14): input parsed and validated, output written inside rpc-reply.</summary>
    private Action<XmlWriter> InvokeModuleRpc(XElement op)
    {
        var ds = server.Datastores;
        var module = ds.Context.GetModuleByNamespace(op.Name.NamespaceName);
        if (module is null || ds.Context.Root.FindDataChild(module, op.Name.LocalName) is not { Kind: Yang.Schema.SchemaNodeKind.Rpc })
            throw RpcErrors.Protocol(ErrorTag.OperationNotSupported, $"operation {op.Name.LocalName} in {op.Name.NamespaceName} is not supported", op.Name.LocalName);
        var request = XmlDataReader.Parse(ds.Context, WithInScopeNamespaces(op).ToString(SaveOptions.DisableFormatting), new DataParseOptions(DataContent.RpcInput));
        var output = ds.Invoke(Info, request);
        if (!output.HasChildren) return Ok;
        return x => XmlDataWriter.WriteChildren(output, x, new DataWriteOptions(Indent: false));
    }

    /// <summary>
    /// &lt;action xmlns="urn:ietf:params:xml:ns:yang:1"&gt; (RFC 7950 §7.15.2): its content is the path from a top-level
    /// node to one action with the action's input; the output goes inside rpc-reply.
    /// </summary>
    private Action<XmlWriter> InvokeAction(XElement op)
    {
        var ds = server.Datastores;
        // Prefixes declared on <action> carry over; its own default namespace (yang:1) does not.
        var content = WithInScopeNamespaces(new XElement(Nc + "data", op.Attributes().Where(a => a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.Xmlns), op.Nodes()), op);
        var request = XmlDataReader.Parse(ds.Context, content.ToString(SaveOptions.DisableFormatting), new DataParseOptions(DataContent.Data));
        var output = ds.InvokeAction(Info, request);
        if (!output.HasChildren) return Ok;
        return x => XmlDataWriter.WriteChildren(output, x, new DataWriteOptions(Indent: false));
    }

    /// <summary>get-schema (RFC 6022 §3.1): the text of a served module or submodule, in YANG.</summary>
    private Action<XmlWriter> GetSchema(XElement op)
    {
        XNamespace ns = NetconfNames.MonitoringNs;
        if (!server.Datastores.Nacm.MayExec(Info, "ietf-netconf-monitoring", "get-schema"))
            throw new DataException(new DataError(ErrorTag.AccessDenied, null, $"access denied: {Info.User} may not run get-schema", Type: ErrorType.Protocol));
        var identifier = op.Element(ns + "identifier")?.Value.Trim()
            ?? throw RpcErrors.Protocol(ErrorTag.MissingElement, "get-schema needs <identifier>", "identifier");
        var version = op.Element(ns + "version")?.Value.Trim();
        var format = op.Element(ns + "format")?.Value.Trim();
        if (format is not null && format != "yang" && !format.EndsWith(":yang", StringComparison.Ordinal))
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"format {format} is not available (yang is)", "format");
        var candidates = server.Datastores.Context.Modules
            .Select(m => (m.Name, m.Revision, m.FilePath))
            .Concat(server.Datastores.Context.Modules.SelectMany(m => m.Submodules).Select(s => (s.Name, s.Revision, s.FilePath)))
            .Where(c => c.Name == identifier && (string.IsNullOrEmpty(version) || c.Revision == version) && c.FilePath is not null)
            .DistinctBy(c => c.FilePath)
            .ToList();
        if (candidates.Count == 0) throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"no schema {identifier}{(string.IsNullOrEmpty(version) ? "" : "@" + version)}", "identifier");
        if (candidates.Count > 1)
            throw new DataException(new DataError(ErrorTag.OperationFailed, null, $"{identifier} has several revisions; name one in <version>", "data-not-unique", ErrorType.Protocol));
        var text = File.ReadAllText(candidates[0].FilePath!);
        return x => x.WriteElementString("data", NetconfNames.MonitoringNs, text);
    }

    private void EditConfig(XElement op)
    {
        var target = Datastore(op, "target");
        var defaultOperation = Text(op, "default-operation") switch
        {
            null or "merge" => EditOperation.Merge,
            "replace" => EditOperation.Replace,
            "none" => EditOperation.None,
            var other => throw Invalid("default-operation", other),
        };
        var test = Text(op, "test-option") switch
        {
            null or "test-then-set" => TestOption.TestThenSet,
            "set" => TestOption.Set,
            "test-only" => TestOption.TestOnly,
            var other => throw Invalid("test-option", other),
        };
        // stop-on-error and rollback-on-error: the edit is all or nothing. continue-on-error: the parts that
        // fail are left out and reported, the rest is applied.
        var continueOnError = Text(op, "error-option") switch
        {
            null or "stop-on-error" or "rollback-on-error" => false,
            "continue-on-error" => true,
            var other => throw Invalid("error-option", other),
        };
        if (op.Element(Nc + "url") is not null)
            throw RpcErrors.Protocol(ErrorTag.OperationNotSupported, "the :url capability is not supported", "url");
        var config = op.Element(Nc + "config") ?? throw RpcErrors.Protocol(ErrorTag.MissingElement, "edit-config needs <config>", "config");
        if (!continueOnError)
        {
            server.Datastores.Edit(Info, target, ParseConfig(config, DataContent.Edit), defaultOperation, test);
            return;
        }
        var unreadable = new List<DataError>();
        var edit = ParseConfigContinuing(config, unreadable);
        var skipped = server.Datastores.EditContinuing(Info, target, edit, defaultOperation, test);
        if (unreadable.Count + skipped.Count > 0) throw new DataException([.. unreadable, .. skipped]);
    }

    /// <summary>
    /// continue-on-error and an edit document with errors in it (unknown elements, bad values): the parts that
    /// read (each child of a top-level container, or a whole top-level node, as the edit's parts are split) go
    /// on, and the errors of the others are reported with the rest.
    /// </summary>
    private DataRoot ParseConfigContinuing(XElement config, List<DataError> unreadable)
    {
        try
        {
            return ParseConfig(config, DataContent.Edit);
        }
        catch (DataException)
        {
            // Read part by part below.
        }
        var readable = new XElement(config.Name, config.Attributes());
        foreach (var top in config.Elements())
        {
            var pieces = IsContainer(top) && top.HasElements ? top.Elements().Select(child => Shell(top, child)) : [new XElement(top)];
            foreach (var piece in pieces)
            {
                try
                {
                    ParseConfig(WithInScopeNamespaces(new XElement(config.Name, config.Attributes(), piece), config), DataContent.Edit);
                    Add(readable, piece);
                }
                catch (DataException e)
                {
                    unreadable.AddRange(e.Errors);
                }
            }
        }
        return ParseConfig(WithInScopeNamespaces(readable, config), DataContent.Edit);

        bool IsContainer(XElement e) =>
            server.Datastores.Context.GetModuleByNamespace(e.Name.NamespaceName) is { } m
            && server.Datastores.Context.Root.FindDataChild(m, e.Name.LocalName) is Mgmt.Yang.Schema.ContainerSchema;

        // The top-level element with one of its children, its own attributes and namespaces kept.
        static XElement Shell(XElement top, XElement child) =>
            new(top.Name, top.Attributes(), top.Nodes().Where(n => n is not XElement), new XElement(child));

        // Readable pieces of one top-level container go back under one element.
        static void Add(XElement into, XElement piece)
        {
            var last = into.Elements().LastOrDefault();
            if (last is not null && last.Name == piece.Name && piece.Elements().Count() == 1 && last.Attributes().Select(a => a.ToString()).SequenceEqual(piece.Attributes().Select(a => a.ToString())))
                last.Add(piece.Elements());
            else into.Add(piece);
        }
    }

    /// <summary>commit, confirmed commit and confirming commit (RFC 6241 §8.3.4.1, §8.4.5.1).</summary>
    private void Commit(XElement op)
    {
        var persistId = Text(op, "persist-id");
        if (op.Element(Nc + "confirmed") is null)
        {
            if (op.Element(Nc + "confirm-timeout") is not null || op.Element(Nc + "persist") is not null)
                throw RpcErrors.Protocol(ErrorTag.InvalidValue, "confirm-timeout and persist need <confirmed/>", "confirmed");
            server.Datastores.Commit(Info, persistId: persistId);
            return;
        }
        var timeoutText = Text(op, "confirm-timeout");
        uint seconds = 600;
        if (timeoutText is not null && (!uint.TryParse(timeoutText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seconds) || seconds == 0))
            throw Invalid("confirm-timeout", timeoutText);
        server.Datastores.ConfirmedCommit(Info, TimeSpan.FromSeconds(seconds), Text(op, "persist"), persistId);
    }

    private void KillSession(XElement op)
    {
        var text = Text(op, "session-id") ?? throw RpcErrors.Protocol(ErrorTag.MissingElement, "kill-session needs <session-id>", "session-id");
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id == 0)
            throw Invalid("session-id", text);
        if (id == Info.Id) throw RpcErrors.Protocol(ErrorTag.InvalidValue, "a session cannot kill itself; use close-session", "session-id");
        if (!server.Kill(id, Info.Id)) throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"no session {id}", "session-id");
    }

    /// <summary>Reads &lt;config&gt;'s content as instance data of the served schema.</summary>
    private DataRoot ParseConfig(XElement config, DataContent content)
    {
        var wrapper = WithInScopeNamespaces(new XElement(Nc + "config", config.Attributes().Where(a => a.IsNamespaceDeclaration), config.Nodes()), config);
        return XmlDataReader.Parse(server.Datastores.Context, wrapper.ToString(SaveOptions.DisableFormatting), new DataParseOptions(content));
    }

    /// <summary>
    /// A detached copy of an element that declares the namespaces in scope above it (on &lt;rpc&gt; or the
    /// operation), so that prefixes in values (identityrefs) still resolve when it is parsed on its own.
    /// </summary>
    private static XElement WithInScopeNamespaces(XElement element, XElement? origin = null)
    {
        origin ??= element;
        var copy = ReferenceEquals(element, origin) ? new XElement(element) : element;
        for (var e = origin.Parent; e is not null; e = e.Parent)
            foreach (var a in e.Attributes().Where(a => a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.Xmlns))
                if (copy.Attribute(a.Name) is null) copy.SetAttributeValue(a.Name, a.Value); // prefixed only: the copy keeps its own default
        return copy;
    }

    private static DataRoot Select(DataRoot tree, XElement op)
    {
        var filter = op.Element(Nc + "filter");
        if (filter is null) return tree.DeepClone();
        return (filter.Attribute("type")?.Value ?? "subtree") switch
        {
            "subtree" => SubtreeFilter.Apply(tree, filter),
            "xpath" => XPathFilter.Apply(tree, filter),
            var other => throw new DataException(new DataError(ErrorTag.BadAttribute, null, $"unknown filter type \"{other}\"", Type: ErrorType.Protocol, BadElement: "filter") { BadAttribute = "type" }),
        };
    }

    private static bool ReportsDefaults(WithDefaultsMode mode) => mode is WithDefaultsMode.ReportAll or WithDefaultsMode.ReportAllTagged;

    private static WithDefaultsMode WithDefaults(XElement op)
    {
        // get and get-config: augmented by ietf-netconf-with-defaults (its namespace); get-data: the grouping used
        // in ietf-netconf-nmda (the operation's own namespace, RFC 8526 §3.1.1).
        var e = op.Element(XName.Get("with-defaults", NetconfNames.WithDefaultsNs)) ?? op.Element(op.Name.Namespace + "with-defaults");
        return e?.Value.Trim() switch
        {
            null or "explicit" => WithDefaultsMode.Explicit,
            "report-all" => WithDefaultsMode.ReportAll,
            "report-all-tagged" => WithDefaultsMode.ReportAllTagged,
            "trim" => WithDefaultsMode.Trim,
            var other => throw Invalid("with-defaults", other),
        };
    }

    private static Action<XmlWriter> Data(DataRoot tree, WithDefaultsMode mode) => x =>
    {
        x.WriteStartElement("data", NetconfNames.BaseNs);
        XmlDataWriter.Write(tree, x, new DataWriteOptions(WithDefaults: mode, Indent: false));
        x.WriteEndElement();
    };

    private static DatastoreName Datastore(XElement op, string parameter)
    {
        var holder = Child(op, parameter);
        var names = holder.Elements().ToList();
        // RFC 8526 §3.2: lock, unlock and validate may name the datastore by its identity (<datastore>ds:running</datastore>).
        if (names.Count == 1 && names[0].Name == XName.Get("datastore", NmdaNs))
        {
            var byIdentity = DatastoreIdentity(names[0]);
            if (byIdentity is DatastoreName.Intended or DatastoreName.Operational)
                throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"<{parameter}> must name one of running, candidate, startup", parameter);
            return byIdentity;
        }
        if (names.Count != 1 || names[0].Name.Namespace != Nc || !DatastoreNames.TryParse(names[0].Name.LocalName, out var name)
            || name is DatastoreName.Intended or DatastoreName.Operational)
            throw RpcErrors.Protocol(ErrorTag.InvalidValue, $"<{parameter}> must name one of running, candidate, startup", parameter);
        return name;
    }

    private static XElement Child(XElement op, string name) =>
        op.Element(Nc + name) ?? throw RpcErrors.Protocol(ErrorTag.MissingElement, $"{op.Name.LocalName} needs <{name}>", name);

    private static string? Text(XElement op, string name) => op.Element(Nc + name)?.Value.Trim();

    private static DataException Invalid(string parameter, string value) =>
        RpcErrors.Protocol(ErrorTag.InvalidValue, $"invalid {parameter} \"{value}\"", parameter);
}
