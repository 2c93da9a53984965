using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;

namespace Mgmt.Datastore.Rpc;

/// <summary>One invocation of an rpc or action: its validated input, and the output the handler fills in.</summary>
public sealed record RpcCall(Session Session, OperationSchema Operation, DataInner Input, DataInner Output)
{
    /// <summary>For an action: the data node it acts on, as the request named it (its ancestors and list keys).</summary>
    public DataInner? Target { get; init; }
}

/// <summary>
/// Handlers of the rpcs and actions of the loaded modules (RFC 7950 §7.14/§7.15), keyed by module and name.
/// Every northbound invokes them through <see cref="Transactions.Datastores.Invoke"/>, which checks access,
/// validates the input and the output.
/// </summary>
public sealed class RpcRegistry
{
    private readonly Dictionary<(string Module, string Name), Action<RpcCall>> _handlers = [];
    private readonly Lock _gate = new();

    public void Register(string module, string name, Action<RpcCall> handler)
    {
        lock (_gate) _handlers[(module, name)] = handler;
    }

    public Action<RpcCall>? Find(string module, string name)
    {
        lock (_gate) return _handlers.GetValueOrDefault((module, name));
    }

    private readonly Dictionary<string, Action<RpcCall>> _actions = new(StringComparer.Ordinal);

    /// <summary>Registers the handler of an action by its schema path (e.g. <c>/ietf-interfaces:interfaces/interface/example:reset</c>).</summary>
    public void RegisterAction(string schemaPath, Action<RpcCall> handler)
    {
        lock (_gate) _actions[schemaPath] = handler;
    }

    public Action<RpcCall>? FindAction(SchemaNode action)
    {
        lock (_gate) return _actions.GetValueOrDefault(action.Path);
    }
}
