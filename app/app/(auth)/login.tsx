import { AuthForm } from '../../components/AuthForm';

export default function LoginScreen() {
  return <AuthForm mode="login" />;
}
