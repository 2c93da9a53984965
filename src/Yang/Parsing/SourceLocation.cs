namespace Mgmt.Yang.Parsing;

/// <summary>A position in a YANG source file, 1-based line and column, printed as <c>file:line:col</c>.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public static readonly SourceLocation None = new("<none>", 0, 0);

    public override string ToString() => $"{File}:{Line}:{Column}";
}
