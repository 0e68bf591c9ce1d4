// The one place that names the server. Set `baseUrl` to the unit's HTTPS address (it must also be listed
// as a request and uploadFile/downloadFile domain in the mini-program's admin console).
module.exports = {
  baseUrl: 'https://wenming.example.gov.cn',
  apiPrefix: '/api/mp',
}
