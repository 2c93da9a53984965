namespace Mgmt.Yang.Data;

/// <summary>
/// RFC 6241 Appendix A error-tag values. One table for every northbound: NETCONF prints the
/// tag as written, RESTCONF maps it to an HTTP status (RFC 8040 §7), gNMI to a gRPC code.
/// </summary>
public enum ErrorTag
{
    InUse, InvalidValue, TooBig, MissingAttribute, BadAttribute, UnknownAttribute,
    MissingElement, BadElement, UnknownElement, UnknownNamespace, AccessDenied,
    LockDenied, ResourceDenied, RollbackFailed, DataExists, DataMissing,
    OperationNotSupported, OperationFailed, PartialOperation, MalformedMessage,
}

/// <summary>RFC 6241 error-type.</summary>
public enum ErrorType { Transport, Rpc, Protocol, Application }

public static class ErrorTagNames
{
    private static readonly string[] Names =
    [
        "in-use", "invalid-value", "too-big", "missing-attribute", "bad-attribute", "unknown-attribute",
        "missing-element", "bad-element", "unknown-element", "unknown-namespace", "access-denied",
        "lock-denied", "resource-denied", "rollback-failed", "data-exists", "data-missing",
        "operation-not-supported", "operation-failed", "partial-operation", "malformed-message",
    ];

    /// <summary>The wire name, e.g. <c>invalid-value</c>.</summary>
    public static string ToWire(this ErrorTag tag) => Names[(int)tag];

    public static bool TryParse(string wire, out ErrorTag tag)
    {
        var i = Array.IndexOf(Names, wire);
        tag = i < 0 ? default : (ErrorTag)i;
        return i >= 0;
    }

    public static string ToWire(this ErrorType type) => type switch
    {
        ErrorType.Transport => "transport",
        ErrorType.Rpc => "rpc",
        ErrorType.Protocol => "protocol",
        _ => "application",
    };
}

/// <summary>
/// One error about instance data (parse, validation, edit): what the YANG layer reports and every
/// northbound turns into its own error form. <see cref="Path"/> is the instance path of the offending node.
/// </summary>
public sealed record DataError(
    ErrorTag Tag,
    string? Path,
    string Message,
    string? AppTag = null,
    ErrorType Type = ErrorType.Application,
    string? BadElement = null)
{
    /// <summary>For lock-denied and in-use: the session that holds the lock (RFC 6241 Appendix A error-info session-id).</summary>
    public long? LockOwner { get; init; }

    /// <summary>For missing-attribute, bad-attribute and unknown-attribute: the attribute's name (error-info bad-attribute).</summary>
    public string? BadAttribute { get; init; }

    public override string ToString() => Path is null ? $"{Tag.ToWire()}: {Message}" : $"{Path}: {Tag.ToWire()}: {Message}";
}

/// <summary>Raised by codecs, validation and edits; carries every error found.</summary>
public sealed class DataException : Exception
{
    public DataException(DataError error) : this([error])
    {
    }

    public DataException(IReadOnlyList<DataError> errors)
        : base(errors.Count == 0 ? "data error" : errors[0].ToString())
    {
        Errors = errors;
    }

    public IReadOnlyList<DataError> Errors { get; }
}
