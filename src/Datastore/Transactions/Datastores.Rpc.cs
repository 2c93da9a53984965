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
        var reply = new DataRoot(Context);
        var output = new DataInner(op);
        reply.Add(output);
        handler(new RpcCall(session, op, input, output));
        return output;
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
            call.Output.Add(new DataLeaf(leaf, made.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
