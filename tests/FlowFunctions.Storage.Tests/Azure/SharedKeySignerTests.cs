using System.Security.Cryptography;
using System.Text;
using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>
/// The Shared Key strings-to-sign, checked against the format and the canonicalized-resource examples of
/// https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key.
/// </summary>
public sealed class SharedKeySignerTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");
    private readonly SharedKeySigner signer = new("myaccount", Key);

    [Fact]
    public void BlobQueue_ContainerMetadataExample_CanonicalizesResourceWithSortedQueryParameters()
    {
        var headers = Headers(("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"), ("x-ms-version", "2015-02-21"));

        var text = signer.BlobQueueStringToSign("GET", new Uri("https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata"), headers);

        text.ShouldBe(
            "GET\n\n\n\n\n\n\n\n\n\n\n\n" +
            "x-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n" +
            "/myaccount/mycontainer\ncomp:metadata\nrestype:container");
    }

    [Fact]
    public void BlobQueue_RepeatedQueryParameter_ValuesSortedAndJoinedWithCommas()
    {
        var text = signer.BlobQueueStringToSign(
            "GET",
            new Uri("https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=list&include=snapshots&include=metadata&include=uncommittedblobs"),
            Headers());

        text.ShouldEndWith("/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\nrestype:container");
    }

    [Fact]
    public void BlobQueue_PutWithBodyAndConditions_SignsStandardHeadersInOrderAndLowercasedSortedMsHeaders()
    {
        var headers = Headers(
            ("Content-Length", "11"),
            ("Content-Type", "application/octet-stream"),
            ("If-None-Match", "*"),
            ("X-MS-Version", "2021-12-02"),
            ("x-ms-blob-type", "BlockBlob"),
            ("x-ms-date", "Sat, 01 Mar 2025 12:00:00 GMT"),
            ("x-ms-client-request-id", "  spaced    value  "),
            ("Accept", "application/xml"));

        var text = signer.BlobQueueStringToSign("PUT", new Uri("http://127.0.0.1:10000/devstoreaccount1/c/sha256:ab"), headers);

        text.ShouldBe(
            "PUT\n\n\n11\n\napplication/octet-stream\n\n\n\n*\n\n\n" +
            "x-ms-blob-type:BlockBlob\nx-ms-client-request-id:spaced value\nx-ms-date:Sat, 01 Mar 2025 12:00:00 GMT\nx-ms-version:2021-12-02\n" +
            "/myaccount/devstoreaccount1/c/sha256:ab");
    }

    [Fact]
    public void BlobQueue_ZeroContentLength_SignedAsEmpty()
    {
        var text = signer.BlobQueueStringToSign("PUT", new Uri("https://myaccount.queue.core.windows.net/q/messages/1?popreceipt=abc%3D&visibilitytimeout=0"), Headers(("Content-Length", "0")));

        text.ShouldStartWith("PUT\n\n\n\n");
        text.ShouldEndWith("/myaccount/q/messages/1\npopreceipt:abc=\nvisibilitytimeout:0");
    }

    [Fact]
    public void Table_SignsVerbMd5TypeDateAndResourceWithCompOnly()
    {
        var headers = Headers(("Content-Type", "application/json"), ("x-ms-date", "Sat, 01 Mar 2025 12:00:00 GMT"), ("x-ms-version", "2019-02-02"), ("Date", "ignored"));

        var text = signer.TableStringToSign("POST", new Uri("http://127.0.0.1:10002/devstoreaccount1/Tables?$filter=x&comp=properties"), headers);

        text.ShouldBe("POST\n\napplication/json\nSat, 01 Mar 2025 12:00:00 GMT\n/myaccount/devstoreaccount1/Tables?comp=properties");
    }

    [Fact]
    public void Table_EntityPath_KeepsEncodedPathAndDropsOtherQueryParameters()
    {
        var uri = new Uri("https://myaccount.table.core.windows.net/mytable(PartitionKey='a%7Cb',RowKey='')?$select=V");

        var text = signer.TableStringToSign("GET", uri, Headers(("Date", "Sat, 01 Mar 2025 12:00:00 GMT")));

        text.ShouldBe("GET\n\n\nSat, 01 Mar 2025 12:00:00 GMT\n/myaccount/mytable(PartitionKey='a%7Cb',RowKey='')");
    }

    [Fact]
    public void Authorization_IsHmacSha256OfTheStringToSignUnderTheKey()
    {
        const string StringToSign = "GET\n\n\nSat, 01 Mar 2025 12:00:00 GMT\n/myaccount/mytable";

        var header = signer.Authorization(StringToSign);

        var expected = Convert.ToBase64String(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes(StringToSign)));
        header.ShouldBe($"SharedKey myaccount:{expected}");
    }

    private static Dictionary<string, string> Headers(params (string Name, string Value)[] headers) =>
        headers.ToDictionary(header => header.Name, header => header.Value, StringComparer.OrdinalIgnoreCase);
}
