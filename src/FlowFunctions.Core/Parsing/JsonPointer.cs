namespace FlowFunctions.Core.Parsing;

/// <summary>Builds RFC 6901 JSON pointers.</summary>
public static class JsonPointer
{
    /// <summary>Appends an object member name, escaping '~' and '/'.</summary>
    public static string Append(string path, string name) =>
        path + "/" + name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>Appends an array index.</summary>
    public static string Append(string path, int index) => path + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
