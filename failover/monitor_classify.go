package failover

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
)

// Classify names what went wrong with a request and says whether it points
// at an outage. err is the request's error (nil if an answer came), status
// the answer's HTTP status (0 if none).
//
// Outages: DNS failures, connection refused, reset or unreachable, TLS
// failures (a captive portal answering for api.spotify.com), timeouts, a
// connection closed mid-answer, an HTTP 5xx, and any other error with no
// answer. Not outages: 429 (back off and keep streaming), 401 (the
// transport refreshes the token once), other 4xx (tapedeck's own mistake,
// to be logged), an error after a 2xx (a bad answer), and a canceled
// context.
func Classify(err error, status int) (cause string, outage bool) {
	if status >= 500 {
		return httpCause(status), true
	}
	if err != nil {
		if cause, ok := classifyErr(err); ok {
			return cause, cause != "canceled"
		}
		if status != 0 {
			return "bad answer (" + httpCause(status) + "): " + err.Error(), false
		}
		return "no answer: " + err.Error(), true
	}
	switch {
	case status == http.StatusTooManyRequests:
		return "rate limited (HTTP 429)", false
	case status == http.StatusUnauthorized:
		return "unauthorized (HTTP 401)", false
	case status >= 400:
		return httpCause(status), false
	}
	return "", false
}

// classifyErr recognises network, TLS and timeout errors however wrapped.
func classifyErr(err error) (string, bool) {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled", true
	case errors.As(err, &dnsErr):
		switch {
		case dnsErr.IsNotFound:
			return "DNS: no such host " + dnsErr.Name, true
		case dnsErr.IsTimeout:
			return "DNS: timeout looking up " + dnsErr.Name, true
		}
		return "DNS: cannot look up " + dnsErr.Name, true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return "connection reset", true
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ENETDOWN),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EHOSTDOWN):
		return "network unreachable", true
	case isTLS(err):
		return "TLS: " + tlsDetail(err), true
	case isTimeout(err):
		return "timeout", true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed", true
	}
	return "", false
}

func isTLS(err error) bool {
	var (
		header    tls.RecordHeaderError
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &header) || errors.As(err, &verify) ||
		errors.As(err, &alert) || errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

func tlsDetail(err error) string {
	var header tls.RecordHeaderError
	switch {
	case errors.Is(err, http.ErrSchemeMismatch), errors.As(err, &header):
		return "the server does not speak TLS"
	}
	var verify *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return "certificate not trusted"
	}
	return "handshake failed"
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}

func httpCause(status int) string {
	if text := http.StatusText(status); text != "" {
		return "HTTP " + strconv.Itoa(status) + " " + text
	}
	return "HTTP " + strconv.Itoa(status)
}
