using FlowFunctions.Storage.Azure;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>Connection-string parsing: every supported form, and clear errors for the rest.</summary>
public sealed class StorageAccountTests
{
    private const string Key = "a2V5LWJ5dGVzLWZvci10ZXN0cw==";

    [Fact]
    public void Parse_UseDevelopmentStorage_GivesAzuritePathStyleEndpointsAndDevKey()
    {
        var account = StorageAccount.Parse("UseDevelopmentStorage=true");

        account.AccountName.ShouldBe("devstoreaccount1");
        account.UsesAccountKey.ShouldBeTrue();
        account.AccountKey.ShouldBe(Convert.FromBase64String(StorageAccount.DevelopmentAccountKey));
        account.BlobEndpoint.ShouldBe(new Uri("http://127.0.0.1:10000/devstoreaccount1"));
        account.QueueEndpoint.ShouldBe(new Uri("http://127.0.0.1:10001/devstoreaccount1"));
        account.TableEndpoint.ShouldBe(new Uri("http://127.0.0.1:10002/devstoreaccount1"));
    }

    [Fact]
    public void Parse_AccountWithKeyAndSuffix_DerivesServiceEndpoints()
    {
        var account = StorageAccount.Parse($"DefaultEndpointsProtocol=https;AccountName=flowprod;AccountKey={Key};EndpointSuffix=core.chinacloudapi.cn");

        account.AccountName.ShouldBe("flowprod");
        account.AccountKey.ShouldBe(Convert.FromBase64String(Key));
        account.TableEndpoint.ShouldBe(new Uri("https://flowprod.table.core.chinacloudapi.cn"));
        account.QueueEndpoint.ShouldBe(new Uri("https://flowprod.queue.core.chinacloudapi.cn"));
        account.BlobEndpoint.ShouldBe(new Uri("https://flowprod.blob.core.chinacloudapi.cn"));
    }

    [Fact]
    public void Parse_NoSuffix_UsesPublicCloudAndIgnoresCaseAndSpaces()
    {
        var account = StorageAccount.Parse($" defaultendpointsprotocol = https ; accountname=flowprod ; accountkey={Key} ;");

        account.BlobEndpoint.ShouldBe(new Uri("https://flowprod.blob.core.windows.net"));
    }

    [Fact]
    public void Parse_AccountWithoutKey_UsesEntraId()
    {
        var account = StorageAccount.Parse("DefaultEndpointsProtocol=https;AccountName=flowprod");

        account.UsesAccountKey.ShouldBeFalse();
        account.QueueEndpoint.ShouldBe(new Uri("https://flowprod.queue.core.windows.net"));
    }

    [Fact]
    public void Parse_ExplicitEndpointsWithKey_UsesThemAsGiven()
    {
        var account = StorageAccount.Parse(
            $"AccountName=devstoreaccount1;AccountKey={Key};TableEndpoint=http://localhost:20002/devstoreaccount1;QueueEndpoint=http://localhost:20001/devstoreaccount1;BlobEndpoint=http://localhost:20000/devstoreaccount1");

        account.UsesAccountKey.ShouldBeTrue();
        account.TableEndpoint.ShouldBe(new Uri("http://localhost:20002/devstoreaccount1"));
        account.QueueEndpoint.ShouldBe(new Uri("http://localhost:20001/devstoreaccount1"));
        account.BlobEndpoint.ShouldBe(new Uri("http://localhost:20000/devstoreaccount1"));
    }

    [Fact]
    public void Parse_ExplicitEndpointsWithoutKey_UsesEntraId()
    {
        var account = StorageAccount.Parse(
            "AccountName=flowprod;TableEndpoint=https://t.example;QueueEndpoint=https://q.example;BlobEndpoint=https://b.example");

        account.UsesAccountKey.ShouldBeFalse();
        account.BlobEndpoint.ShouldBe(new Uri("https://b.example"));
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true;NamePrefix=scale1", "devstoreaccount1")]
    [InlineData(" nameprefix = scale1 ;DefaultEndpointsProtocol=https;AccountName=flowprod", "flowprod")]
    public void Parse_NamePrefix_IsKeptApartFromTheAccountSettings(string connectionString, string account)
    {
        var parsed = StorageAccount.Parse(connectionString);

        parsed.NamePrefix.ShouldBe("scale1");
        parsed.AccountName.ShouldBe(account);
    }

    [Fact]
    public void Parse_WithoutNamePrefix_HasAnEmptyOne()
    {
        StorageAccount.Parse("UseDevelopmentStorage=true").NamePrefix.ShouldBe(string.Empty);
    }

    [Fact]
    public void Store_NamePrefixInTheConnectionString_IsTheStoresPrefixUnlessTheOptionsDisagree()
    {
        new AzureFlowStore("UseDevelopmentStorage=true;NamePrefix=scale1", TimeProvider.System).NamePrefix.ShouldBe("scale1");
        new AzureFlowStore("UseDevelopmentStorage=true;NamePrefix=scale1", TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = "scale1" })
            .NamePrefix.ShouldBe("scale1");
        new AzureFlowStore("UseDevelopmentStorage=true", TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = "opt1" }).NamePrefix.ShouldBe("opt1");
        new AzureFlowStore("UseDevelopmentStorage=true", TimeProvider.System).NamePrefix.ShouldBe(string.Empty);

        Should.Throw<ArgumentException>(() => new AzureFlowStore("UseDevelopmentStorage=true;NamePrefix=scale1", TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = "other" }))
            .Message.ShouldContain("differs");
        Should.Throw<ArgumentException>(() => new AzureFlowStore("UseDevelopmentStorage=true;NamePrefix=Bad-Prefix", TimeProvider.System))
            .Message.ShouldContain("name prefix");
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("NamePrefix=scale1", "only a NamePrefix")]
    [InlineData("UseDevelopmentStorage=true;NamePrefix=a;NamePrefix=b", "twice")]
    [InlineData("UseDevelopmentStorage=false", "must be 'true'")]
    [InlineData("UseDevelopmentStorage=true;AccountName=x", "cannot be combined")]
    [InlineData("AccountName=x;AccountKey=not base64!", "not valid base64")]
    [InlineData("AccountKey=a2V5", "needs AccountName")]
    [InlineData("AccountName=x;AccountKey=a2V5", "gives no TableEndpoint")]
    [InlineData("DefaultEndpointsProtocol=ftp;AccountName=x", "'https' or 'http'")]
    [InlineData("AccountName=x;TableEndpoint=not a url;QueueEndpoint=https://q;BlobEndpoint=https://b", "not an absolute http(s) URL")]
    [InlineData("AccountName=x;TableEndpoint=https://t;BlobEndpoint=https://b", "gives no QueueEndpoint")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=x;Foo=bar", "unknown setting 'Foo'")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=x;AccountName=y", "twice")]
    [InlineData("justtext", "without 'name=value'")]
    [InlineData("BlobEndpoint=https://b;SharedAccessSignature=sv=2020", "SharedAccessSignature")]
    public void Parse_BadConnectionString_ThrowsFormatExceptionSayingWhy(string connectionString, string expected)
    {
        Should.Throw<FormatException>(() => StorageAccount.Parse(connectionString)).Message.ShouldContain(expected);
    }

    [Fact]
    public void Parse_BadSegment_DoesNotEchoTheKey()
    {
        var error = Should.Throw<FormatException>(() => StorageAccount.Parse("AccountName=x;Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq"));

        error.Message.ShouldNotContain("OcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq");
    }

    [Fact]
    public void Store_BadNamePrefix_ThrowsArgumentException()
    {
        Should.Throw<ArgumentException>(() => new AzureFlowStore("UseDevelopmentStorage=true", TimeProvider.System, new AzureFlowStoreOptions { NamePrefix = "Has-Dash" }))
            .Message.ShouldContain("name prefix");
    }
}
