using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace FlowFunctions.Storage.Azure;

/// <summary>
/// Builds and signs the Shared Key string-to-sign of Azure Storage requests
/// (https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key). The Blob and Queue services sign
/// the standard headers, the <c>x-ms-*</c> headers and the resource with every query parameter; the Table service signs
/// only verb, Content-MD5, Content-Type, date and the resource with the <c>comp</c> parameter.
/// </summary>
internal sealed class SharedKeySigner
{
    private readonly string accountName;
    private readonly byte[] accountKey;

    public SharedKeySigner(string accountName, byte[] accountKey)
    {
        this.accountName = accountName;
        this.accountKey = accountKey;
    }

    /// <summary>The Blob/Queue string-to-sign (version 2015-02-21 and later: a zero Content-Length is signed as empty).</summary>
    /// <param name="method">The HTTP verb, upper case.</param>
    /// <param name="uri">The request URI as sent (path percent-encoded).</param>
    /// <param name="headers">The request headers; names compare case-insensitively.</param>
    public string BlobQueueStringToSign(string method, Uri uri, IReadOnlyDictionary<string, string> headers)
    {
        string Header(string name) => headers.TryGetValue(name, out var value) ? value : string.Empty;
        var contentLength = Header("Content-Length");
        if (contentLength == "0")
        {
            contentLength = string.Empty;
        }

        var builder = new StringBuilder()
            .Append(method).Append('\n')
            .Append(Header("Content-Encoding")).Append('\n')
            .Append(Header("Content-Language")).Append('\n')
            .Append(contentLength).Append('\n')
            .Append(Header("Content-MD5")).Append('\n')
            .Append(Header("Content-Type")).Append('\n')
            .Append(Header("Date")).Append('\n')
            .Append(Header("If-Modified-Since")).Append('\n')
            .Append(Header("If-Match")).Append('\n')
            .Append(Header("If-None-Match")).Append('\n')
            .Append(Header("If-Unmodified-Since")).Append('\n')
            .Append(Header("Range")).Append('\n');

        foreach (var header in headers
            .Where(header => header.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(header => (Name: header.Key.ToLowerInvariant(), Value: CollapseWhitespace(header.Value)))
            .OrderBy(header => header.Name, StringComparer.Ordinal))
        {
            builder.Append(header.Name).Append(':').Append(header.Value).Append('\n');
        }

        builder.Append('/').Append(accountName).Append(uri.AbsolutePath);
        foreach (var parameter in ParseQuery(uri.Query)
            .GroupBy(parameter => parameter.Name.ToLowerInvariant(), StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            var values = parameter.Select(p => p.Value).Order(StringComparer.Ordinal);
            builder.Append('\n').Append(parameter.Key).Append(':').Append(string.Join(',', values));
        }

        return builder.ToString();
    }

    /// <summary>The Table service's Shared Key string-to-sign.</summary>
    /// <param name="method">The HTTP verb, upper case.</param>
    /// <param name="uri">The request URI as sent.</param>
    /// <param name="headers">The request headers; the date is <c>x-ms-date</c> when present, else <c>Date</c>.</param>
    public string TableStringToSign(string method, Uri uri, IReadOnlyDictionary<string, string> headers)
    {
        string Header(string name) => headers.TryGetValue(name, out var value) ? value : string.Empty;
        var date = headers.TryGetValue("x-ms-date", out var msDate) ? msDate : Header("Date");
        var builder = new StringBuilder()
            .Append(method).Append('\n')
            .Append(Header("Content-MD5")).Append('\n')
            .Append(Header("Content-Type")).Append('\n')
            .Append(date).Append('\n')
            .Append('/').Append(accountName).Append(uri.AbsolutePath);
        var comp = ParseQuery(uri.Query).FirstOrDefault(parameter => parameter.Name.Equals("comp", StringComparison.OrdinalIgnoreCase));
        if (comp.Name is not null)
        {
            builder.Append("?comp=").Append(comp.Value);
        }

        return builder.ToString();
    }

    /// <summary>The Authorization header value for a string-to-sign.</summary>
    public string Authorization(string stringToSign)
    {
        var signature = Convert.ToBase64String(HMACSHA256.HashData(accountKey, Encoding.UTF8.GetBytes(stringToSign)));
        return string.Create(CultureInfo.InvariantCulture, $"SharedKey {accountName}:{signature}");
    }

    private static IEnumerable<(string Name, string Value)> ParseQuery(string query)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            yield break;
        }

        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? string.Empty : pair[(equals + 1)..];
            yield return (WebUtility.UrlDecode(name), WebUtility.UrlDecode(value));
        }
    }

    private static string CollapseWhitespace(string value)
    {
        var builder = new StringBuilder(value.Length);
        var lastWasSpace = false;
        foreach (var c in value.Trim())
        {
            if (c is ' ' or '\t')
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                }

                lastWasSpace = true;
            }
            else
            {
                builder.Append(c);
                lastWasSpace = false;
            }
        }

        return builder.ToString();
    }
}
