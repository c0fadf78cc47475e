package httpapi

import (
	"net/http"
	"strconv"

	"github.com/carillon/carillon/api"
)

// openAPI answers the OpenAPI document of the /v1 API. It needs no API key.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Length", strconv.Itoa(len(api.OpenAPI)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(api.OpenAPI)
	return nil
}
