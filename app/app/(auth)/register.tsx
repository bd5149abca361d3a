import { AuthForm } from '../../components/AuthForm';

export default function RegisterScreen() {
  return <AuthForm mode="register" />;
}
