using Mgmt.Datastore.History;
using Mgmt.Datastore.Persistence;
using Mgmt.Datastore.Rpc;
using Mgmt.Yang.Data;
using Mgmt.Yang.Schema;
using Mgmt.Yang.Validation;

namespace Mgmt.Datastore.Transactions;

/// <summary>Rpcs of the loaded modules, and the commit history with its rollback rpc (module mgmt-commits).</summary>
public sealed partial class Datastores
{
    public const string CommitsModule = "mgmt-commits";

    public RpcRegistry Rpcs { get; } = new();

    public CommitHistory History { get; private set; } = null!;

    private void RegisterBuiltinRpcs()
    {
        if (Context.GetModule(CommitsModule) is { Implemented: true })
            Rpcs.Register(CommitsModule, "rollback", Rollback);
    }

    /// <summary>
    /// Runs an rpc: <paramref name="request"/> holds one rpc node with its input (as the readers build it for
    /// <c>DataContent.RpcInput</c>). Checks exec access, validates the input, calls the handler and validates the
    /// output; the returned node holds the output's children.
    /// </summary>
    public DataInner Invoke(Session session, DataRoot request)
    {
        if (request.Children.Count != 1 || request.Children[0] is not DataInner { Schema: OperationSchema op } input)
            throw new DataException(new DataError(ErrorTag.MalformedMessage, null, "an rpc request holds exactly one rpc", Type: ErrorType.Rpc));
        if (!Nacm.MayExec(session, op.Module.Name, op.Name, DefaultDenyAll(op)))
            throw new DataException(new DataError(ErrorTag.AccessDenied, null, $"access denied: {session.User} may not run {op.Module.Name}:{op.Name}", Type: ErrorType.Protocol));
        var handler = Rpcs.Find(op.Module.Name, op.Name)
            ?? throw new DataException(new DataError(ErrorTag.OperationNotSupported, null, $"{op.Module.Name}:{op.Name} has no implementation here", Type: ErrorType.Protocol, BadElement: op.Name));
        var inputErrors = DataValidator.Validate(request, new ValidationOptions());
        if (inputErrors.Count > 0) throw new DataException(inputErrors);
        return Run(handler, new RpcCall(session, op, input, NewOutput(op)));
    }

    private DataInner NewOutput(OperationSchema op)
    {
        var reply = new DataRoot(Context);
        var output = new DataInner(op);
        reply.Add(output);
        return output;
    }

    /// <summary>Calls the handler and validates what it answered: an invalid output is the server's fault (operation-failed).</summary>
    private static DataInner Run(Action<RpcCall> handler, RpcCall call)
    {
        handler(call);
        var errors = DataValidator.Validate((DataRoot)call.Output.Parent!, new ValidationOptions(Output: true));
        if (errors.Count > 0)
            throw new DataException(new DataError(ErrorTag.OperationFailed, null,
                $"the implementation of {call.Operation.Module.Name}:{call.Operation.Name} gave an invalid output: {errors[0].Message}"));
        return call.Output;
    }

    /// <summary>
    /// Runs an action (RFC 7950 §7.15): <paramref name="request"/> is the path from the top to one action node,
    /// with the list keys on the way, and the action's input. Checks exec access on the action's node, that the
    /// node it acts on exists (data-missing otherwise), validates the input, calls the handler registered for
    /// the action's schema path, validates the output; the returned node holds the output's children.
    /// </summary>
    public DataInner InvokeAction(Session session, DataRoot request)
    {
        var action = FindAction(request)
            ?? throw new DataException(new DataError(ErrorTag.MalformedMessage, null, "an action request is one path to one action", Type: ErrorType.Rpc));
        var op = (OperationSchema)action.Schema;
        if (!Nacm.MayExecAction(session, action))
            throw new DataException(new DataError(ErrorTag.AccessDenied, DataPath.Of(action), $"access denied: {session.User} may not run action {op.Name}", Type: ErrorType.Protocol));
        var target = action.Parent!;
        if (!Exists(target))
            throw new DataException(new DataError(ErrorTag.DataMissing, DataPath.Of(target), $"{DataPath.Of(target)} does not exist", "instance-required"));
        var handler = Rpcs.FindAction(op)
            ?? throw new DataException(new DataError(ErrorTag.OperationNotSupported, null, $"action {op.Path} has no implementation here", Type: ErrorType.Protocol, BadElement: op.Name));
        // The input is validated on its own, as an operation document; error paths are given from the top.
        var targetPath = DataPath.Of(target);
        target.Remove(action);
        var input = new DataRoot(Context);
        input.Add(action);
        var inputErrors = DataValidator.Validate(input, new ValidationOptions());
        if (inputErrors.Count > 0) throw new DataException([.. inputErrors.Select(e => e with { Path = targetPath + e.Path })]);
        return Run(handler, new RpcCall(session, op, action, NewOutput(op)) { Target = target });
    }

    /// <summary>The one action node of a request, reached through single children (list keys aside).</summary>
    private static DataInner? FindAction(DataRoot request)
    {
        DataInner at = request;
        while (true)
        {
            DataInner? next = null;
            foreach (var c in at.Children)
            {
                if (c.Schema is LeafSchema { IsKey: true }) continue;
                if (next is not null || c is not DataInner inner) return null;
                next = inner;
            }
            if (next is null) return null;
            if (next.Schema is OperationSchema { Kind: SchemaNodeKind.Action }) return next;
            at = next;
        }
    }

    /// <summary>Whether the node a request names (containers and keyed list entries) exists: in running, or for state in the operational view.</summary>
    private bool Exists(DataInner target)
    {
        var chain = new List<DataInner>();
        for (var n = target; n is not DataRoot; n = n.Parent!) chain.Insert(0, n);
        bool Walk(DataRoot tree)
        {
            DataInner at = tree;
            foreach (var step in chain)
            {
                DataInner? found = step.Schema switch
                {
                    ListSchema ls => at.FindListEntry(ls, [.. ls.Keys.Select(k => (step.Find(k) as DataLeaf)?.Value ?? "")]),
                    ContainerSchema { IsPresence: false } c => at.Find(c) as DataInner ?? new DataInner(c),
                    _ => at.Find(step.Schema) as DataInner,
                };
                if (found is null) return false;
                at = found;
            }
            return true;
        }
        return chain.TrueForAll(n => n.Schema.Config) ? Read(DatastoreName.Running, Walk) : Walk(ReadOperational(Session.Daemon, t => t));
    }

    private static bool DefaultDenyAll(SchemaNode op) =>
        op.Extensions.Any(e => e.Definition.Module.Name == Mgmt.Datastore.Nacm.NacmRules.ModuleName && e.Definition.Name == "default-deny-all");

    /// <summary>mgmt-commits:rollback: running becomes what commit N produced, as a new commit.</summary>
    private void Rollback(RpcCall call)
    {
        var id = ulong.Parse(call.Input.LeafValue("commit-id")!, System.Globalization.CultureInfo.InvariantCulture);
        var config = History.Configuration((long)id, Context)
            ?? throw new DataException(new DataError(ErrorTag.InvalidValue, null, $"commit {id} is not in the history (the last {History.List().Count} are kept)", BadElement: "commit-id"));
        var comment = call.Input.LeafValue("comment") ?? $"rollback to commit {id}";
        Copy(call.Session, config, DatastoreName.Running, comment);
        var made = History.List().LastOrDefault();
        if (made is not null && call.Operation.Output.FindDataChild(call.Operation.Module, "commit-id") is LeafSchema leaf)
            call.Output.Add(DataLeaf.Create(leaf, made.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
