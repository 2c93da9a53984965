using Mgmt.Yang.Parsing;

namespace Mgmt.Yang;

/// <summary>One error or warning found in a YANG source: where and what.</summary>
public sealed record YangDiagnostic(SourceLocation Location, string Message, bool IsWarning = false)
{
    public override string ToString() => $"{Location}: {(IsWarning ? "warning" : "error")}: {Message}";
}

/// <summary>Raised when YANG text does not parse or a module does not compile; carries every diagnostic found.</summary>
public sealed class YangException : Exception
{
    public YangException(SourceLocation location, string message)
        : this([new YangDiagnostic(location, message)])
    {
    }

    public YangException(IReadOnlyList<YangDiagnostic> diagnostics)
        : base(diagnostics.Count == 0 ? "YANG error" : diagnostics[0].ToString())
    {
        Diagnostics = diagnostics;
    }

    public IReadOnlyList<YangDiagnostic> Diagnostics { get; }

    public SourceLocation Location => Diagnostics.Count == 0 ? SourceLocation.None : Diagnostics[0].Location;
}
