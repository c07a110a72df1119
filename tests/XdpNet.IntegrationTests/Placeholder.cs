namespace XdpNet.IntegrationTests;
